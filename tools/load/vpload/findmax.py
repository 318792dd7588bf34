# SPDX-License-Identifier: MIT
"""--find-max: placeholder until the stepping run exists."""


def run(run):
    raise RuntimeError("--find-max is not implemented yet")
