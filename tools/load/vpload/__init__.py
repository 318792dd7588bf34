# SPDX-License-Identifier: MIT
"""vpbot-load: plans -> simconf + vpbot subscribers -> report.json/html."""
