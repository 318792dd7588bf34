#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""deploy_check.py REPO [VPBOT-SCHED] — validate deploy/ offline.

kubectl's client-side dry run still asks a server for its API list, so the
manifests are checked here against a schema of the fields they use (an
unknown or misspelt field is an error, as the API server would say) plus
the cross-references a cluster would only report at run time: selectors,
ConfigMap/Secret/PVC names and keys, volume mounts, $(VAR) expansion,
resources, the grace period against the longest meeting, no secret in args
or in the ConfigMap, and a Containerfile built from Debian packages only.
With VPBOT-SCHED, the worker's args (variables filled from the ConfigMap)
are run for 2 s to prove the command line is accepted."""
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

import yaml

ROOT = sys.argv[1]
SCHED = sys.argv[2] if len(sys.argv) > 2 else None
LONGEST_MEETING_S = 4 * 3600
errors = []


def err(where, msg):
    errors.append(f"{where}: {msg}")


S, I, B, ANY = "str", "int", "bool", "any"
STRMAP = {"*": S}
META = {"name": S, "labels": STRMAP, "annotations": STRMAP}
RES = {"requests": {"cpu": S, "memory": S, "storage": S},
       "limits": {"cpu": S, "memory": S}}
ENV = [{"name": S, "value": S,
        "valueFrom": {"fieldRef": {"fieldPath": S},
                      "secretKeyRef": {"name": S, "key": S},
                      "configMapKeyRef": {"name": S, "key": S}}}]
CONTAINER = {"name": S, "image": S, "command": [S], "args": [S], "env": ENV,
             "envFrom": [{"configMapRef": {"name": S},
                          "secretRef": {"name": S}}],
             "ports": [{"containerPort": I, "name": S}],
             "resources": RES,
             "volumeMounts": [{"name": S, "mountPath": S, "readOnly": B}]}
VOLUME = {"name": S, "emptyDir": {"*": ANY},
          "persistentVolumeClaim": {"claimName": S},
          "secret": {"secretName": S, "items": [{"key": S, "path": S}]},
          "configMap": {"name": S, "items": [{"key": S, "path": S}]}}
PODSPEC = {"terminationGracePeriodSeconds": I,
           "securityContext": {"runAsNonRoot": B, "runAsUser": I,
                               "fsGroup": I},
           "containers": [CONTAINER], "volumes": [VOLUME]}
TEMPLATE = {"metadata": META, "spec": PODSPEC}
PVCSPEC = {"accessModes": [S], "resources": RES, "storageClassName": S}
SCHEMA = {
    ("v1", "ConfigMap"): {"data": STRMAP},
    ("v1", "Secret"): {"type": S, "stringData": STRMAP},
    ("v1", "PersistentVolumeClaim"): {"spec": PVCSPEC},
    ("v1", "Service"): {"spec": {"selector": STRMAP, "ports": [
        {"name": S, "port": I, "targetPort": I}]}},
    ("apps/v1", "Deployment"): {"spec": {
        "replicas": I, "selector": {"matchLabels": STRMAP},
        "strategy": {"type": S, "rollingUpdate": {"maxUnavailable": I,
                                                  "maxSurge": I}},
        "template": TEMPLATE}},
    ("apps/v1", "StatefulSet"): {"spec": {
        "serviceName": S, "replicas": I, "selector": {"matchLabels": STRMAP},
        "template": TEMPLATE,
        "volumeClaimTemplates": [{"metadata": META, "spec": PVCSPEC}]}},
}


def check(where, v, sch):
    if sch == ANY:
        return
    if isinstance(sch, list):
        if not isinstance(v, list):
            return err(where, "must be a list")
        for i, x in enumerate(v):
            check(f"{where}[{i}]", x, sch[0])
    elif isinstance(sch, dict):
        if not isinstance(v, dict):
            return err(where, "must be a mapping")
        for k, x in v.items():
            if k in sch:
                check(f"{where}.{k}", x, sch[k])
            elif "*" in sch:
                check(f"{where}.{k}", x, sch["*"])
            else:
                err(where, f"unknown field {k!r}")
    elif sch == S and not isinstance(v, str):
        err(where, f"must be a string, not {v!r}")
    elif sch == I and (not isinstance(v, int) or isinstance(v, bool)):
        err(where, f"must be an integer, not {v!r}")
    elif sch == B and not isinstance(v, bool):
        err(where, f"must be true or false")


def qty(s):
    m = re.fullmatch(r"([0-9.]+)(m|Ki|Mi|Gi|Ti)?", str(s))
    if not m:
        return None
    f = {None: 1, "m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30,
         "Ti": 2**40}[m.group(2)]
    return float(m.group(1)) * f


docs = []
for f in sorted(glob.glob(os.path.join(ROOT, "deploy/k8s/*.yaml"))):
    for d in yaml.safe_load_all(open(f)):
        if d:
            docs.append((os.path.basename(f), d))
if len(docs) < 8:
    err("deploy/k8s", f"only {len(docs)} objects")
objs = {}
for f, d in docs:
    key = (d.get("apiVersion"), d.get("kind"))
    name = (d.get("metadata") or {}).get("name")
    where = f"{f}:{d.get('kind')}/{name}"
    if key not in SCHEMA or not name:
        err(where, f"unexpected apiVersion/kind {key} or no name")
        continue
    sch = dict(SCHEMA[key], apiVersion=S, kind=S, metadata=META)
    check(where, d, sch)
    objs[(d["kind"], name)] = d


def need(where, kind, name, key=None):
    o = objs.get((kind, name))
    if not o:
        return err(where, f"refers to {kind}/{name}, which is not defined")
    if key is not None:
        data = o.get("data") or o.get("stringData") or {}
        if key not in data:
            err(where, f"{kind}/{name} has no key {key!r}")


cm = objs.get(("ConfigMap", "vpbot-fleet"), {}).get("data", {})
SECRETISH = re.compile(r"token=|password|secret|private-|://[^/\s]*:[^/\s]*@",
                       re.I)
for k, v in cm.items():
    if SECRETISH.search(k + "=" + v):
        err("ConfigMap/vpbot-fleet", f"{k} looks like a secret")

for (kind, name), o in objs.items():
    if kind not in ("Deployment", "StatefulSet"):
        continue
    where = f"{kind}/{name}"
    spec = o["spec"]
    tmpl = spec["template"]
    labels = tmpl["metadata"].get("labels", {})
    for k, v in spec["selector"]["matchLabels"].items():
        if labels.get(k) != v:
            err(where, f"selector {k}={v} does not match the pod labels")
    pod = tmpl["spec"]
    vols = {v["name"] for v in pod.get("volumes", [])}
    vols |= {t["metadata"]["name"] for t in spec.get("volumeClaimTemplates", [])}
    for v in pod.get("volumes", []):
        if "persistentVolumeClaim" in v:
            need(where, "PersistentVolumeClaim",
                 v["persistentVolumeClaim"]["claimName"])
        if "secret" in v:
            need(where, "Secret", v["secret"]["secretName"])
            for it in v["secret"].get("items", []):
                need(where, "Secret", v["secret"]["secretName"], it["key"])
    for c in pod["containers"]:
        cw = f"{where}/{c['name']}"
        env = set()
        for e in c.get("env", []):
            env.add(e["name"])
            sk = (e.get("valueFrom") or {}).get("secretKeyRef")
            if sk:
                need(cw, "Secret", sk["name"], sk["key"])
            if "value" in e and SECRETISH.search(e["value"]):
                err(cw, f"env {e['name']} holds a secret in clear")
        for ef in c.get("envFrom", []):
            ref = ef.get("configMapRef")
            if ref:
                need(cw, "ConfigMap", ref["name"])
                env |= set(objs.get(("ConfigMap", ref["name"]), {})
                           .get("data", {}))
        for a in c.get("args", []) + c.get("command", []):
            for var in re.findall(r"\$\((\w+)\)", a):
                if var not in env:
                    err(cw, f"args use $({var}), which is not in its env")
            if SECRETISH.search(a) or re.search(r"https?://", a):
                err(cw, f"argument {a!r} may carry a secret")
        r = c.get("resources", {})
        for part in ("requests", "limits"):
            for res in ("cpu", "memory"):
                if res not in r.get(part, {}):
                    err(cw, f"resources.{part}.{res} missing")
        for res in ("cpu", "memory"):
            lo = qty(r.get("requests", {}).get(res))
            hi = qty(r.get("limits", {}).get(res))
            if lo is None or hi is None or lo > hi:
                err(cw, f"{res}: request must parse and be <= limit")
        for m in c.get("volumeMounts", []):
            if m["name"] not in vols:
                err(cw, f"mounts volume {m['name']!r}, which is not defined")

for (kind, name), o in objs.items():
    if kind == "Service":
        sel = o["spec"]["selector"]
        if not any(all(t["spec"]["template"]["metadata"]["labels"].get(k) == v
                       for k, v in sel.items())
                   for (k2, _), t in objs.items()
                   if k2 in ("Deployment", "StatefulSet")):
            err(f"Service/{name}", "selects no pod")

w = objs.get(("Deployment", "vpbot-worker"))
if not w:
    err("deploy", "no worker Deployment")
else:
    pod = w["spec"]["template"]["spec"]
    g = pod.get("terminationGracePeriodSeconds", 30)
    if g < LONGEST_MEETING_S:
        err("worker", f"terminationGracePeriodSeconds {g} < longest meeting")
    wg = int(cm.get("WORKER_GRACE_S", "0"))
    if not 0 < wg < g:
        err("worker", f"WORKER_GRACE_S {wg} must be below the pod's {g}")
    args = pod["containers"][0]["args"]
    if args[:1] != ["worker"]:
        err("worker", "args must start with 'worker'")
    if not any("/recordings" == m["mountPath"]
               for m in pod["containers"][0].get("volumeMounts", [])):
        err("worker", "no output volume at /recordings")
    if SCHED:
        env = dict(cm, POD_NAME="worker-0")
        argv = [re.sub(r"\$\((\w+)\)", lambda m: env[m.group(1)], a)
                for a in args]
        with tempfile.TemporaryDirectory() as t:
            for i, a in enumerate(argv):
                if a == "--redis":
                    argv[i + 1] = f"unix:{t}/none.sock"
                if a in ("--vpbot",):
                    argv[i + 1] = "/bin/true"
                if a == "--work-dir":
                    argv[i + 1] = t
            p = subprocess.run(["timeout", "--preserve-status", "-s", "TERM", "2", SCHED] + argv,
                               capture_output=True, text=True)
            if p.returncode != 0 or '"event":"started"' not in p.stderr:
                err("worker", f"the manifest's args are refused "
                    f"(rc {p.returncode}): {p.stderr.strip()[:300]}")

sec = objs.get(("Secret", "vpbot-scheduler-config"), {})
try:
    conf = json.loads(sec.get("stringData", {}).get("sched.json", ""))
    if not str(conf.get("dispatch", "")).startswith("redis://"):
        err("scheduler config", "dispatch must name the Redis")
except ValueError as e:
    err("scheduler config", f"not JSON: {e}")

# Containerfile: Debian 12 bases and Debian packages only
cf = open(os.path.join(ROOT, "deploy/Containerfile")).read()
stages = set()
for m in re.finditer(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", cf, re.M):
    if m.group(1) not in ("debian:12", "debian:12-slim") and \
            m.group(1) not in stages:
        err("Containerfile", f"base {m.group(1)} is not Debian 12")
    if m.group(2):
        stages.add(m.group(2))
for bad in ("curl ", "wget ", "pip ", "npm ", "ADD http", "git clone"):
    if bad in cf:
        err("Containerfile", f"fetches outside Debian: {bad.strip()}")
for m in re.finditer(r"COPY\s+--from=(\S+)", cf):
    if m.group(1) not in stages:
        err("Containerfile", f"COPY from unknown stage {m.group(1)}")

for e in errors:
    print("FAIL:", e)
print(f"deploy_check: {len(docs)} objects, {len(errors)} problems")
sys.exit(1 if errors else 0)
