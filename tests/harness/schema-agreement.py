#!/usr/bin/env python3
"""dlrun's JSON Schema against dlrun's own reader.

An independent validator (python3-jsonschema, Draft 7) and `dlrun validate` must agree: every
example is valid for both, every bad spec below is refused by both. docs/dlrun.schema.json must
be exactly what `dlrun schema` prints, and every example must name it in "$schema".

    schema-agreement.py DLRUN SOURCE_DIR
"""
import json
import os
import subprocess
import sys
import tempfile

import jsonschema

DLRUN, SOURCE = sys.argv[1], sys.argv[2]

# Each is one mistake in a spec that is otherwise as a user writes it.
BASE = {"version": 1, "image": "busybox:1.36"}
BAD = [
    {"version": 2, "image": "busybox:1.36"},
    {"image": "busybox:1.36"},
    {"version": 1},
    {**BASE, "imagee": "typo"},
    {**BASE, "name": "-starts-with-dash"},
    {**BASE, "name": "x" * 64},
    {**BASE, "image": "has space:1"},
    {**BASE, "command": []},
    {**BASE, "command": 42},
    {**BASE, "command": ["python", 3]},
    {**BASE, "workdir": "relative/dir"},
    {**BASE, "env": {"1BAD": "x"}},
    {**BASE, "env": {"TOKEN": {"from_env": "TOKEN", "extra": 1}}},
    {**BASE, "env": {"TOKEN": {"from_enf": "TOKEN"}}},
    {**BASE, "env": {"N": 3}},
    {**BASE, "mounts": [{"target": "/data"}]},
    {**BASE, "mounts": [{"source": "vol", "target": "relative"}]},
    {**BASE, "mounts": [{"source": "vol", "target": "/data", "read_only": "yes"}]},
    {**BASE, "mounts": [{"source": "vol", "target": "/data", "type": "tmpfs"}]},
    {**BASE, "gpus": "some"},
    {**BASE, "gpus": -1},
    {**BASE, "gpus": []},
    {**BASE, "gpus": ["zero"]},
    {**BASE, "gpus": True},
    {**BASE, "resources": {"shm_sise": "1g"}},
    {**BASE, "resources": {"shm_size": "8 gigs"}},
    {**BASE, "resources": {"memory": -5}},
    {**BASE, "resources": {"cpus": 0}},
    {**BASE, "resources": {"pids": 3}},
    {**BASE, "resources": {"memlock": "lots"}},
    {**BASE, "resources": {"log_size": "plenty"}},
    {**BASE, "resources": "big"},
    {**BASE, "user": "alice"},
    {**BASE, "user": 1000},
    {**BASE, "network": "overlay"},
    {**BASE, "timeout": "soon"},
    {**BASE, "timeout": "30m2h"},
    {**BASE, "timeout": 0},
    {**BASE, "labels": {"team": 1}},
    {**BASE, "cap_add": "SYS_PTRACE"},
    {**BASE, "pull": "sometimes"},
    {**BASE, "registry_mirror": {"docker.io": 5000}},
    {**BASE, "registry_auth": {"username": "me"}},
    {**BASE, "registry_auth": {"password_env": "P", "token": "x"}},
    {"version": 1, "framework": {"version": "2.3"}},
    {"version": 1, "framework": {"name": "caffe"}},
    {"version": 1, "framework": {"name": "pytorch", "variant": "slim"}},
    {"version": 1, "framework": {"name": "pytorch", "source": "pypi"}},
    {"version": 1, "framework": {"name": "pytorch", "flavour": "x"}},
    {"version": 1, "framework": "pytorch"},
    {**BASE, "retry": {"exit_codes": [3]}},
    {**BASE, "retry": {"attempts": 0}},
    {**BASE, "retry": {"attempts": 101}},
    {**BASE, "retry": {"attempts": 3, "on": ["gpu-eror"]}},
    {**BASE, "retry": {"attempts": 3, "on": [137]}},
    {**BASE, "retry": {"attempts": 3, "exit_codes": [0]}},
    {**BASE, "retry": {"attempts": 3, "exit_codes": [3, 3]}},
    {**BASE, "retry": {"attempts": 3, "delay": "soon"}},
    {**BASE, "retry": {"attempts": 3, "dealy": "1m"}},
    {**BASE, "retry": 3},
    {**BASE, "checkpoint": "ckpt-*.pt"},
    {**BASE, "outputs": "./out", "checkpoint": "/outputs/ckpt-*.pt"},
    {**BASE, "outputs": "./out", "checkpoint": "../ckpt-*.pt"},
    {**BASE, "outputs": "./out", "checkpoint": "runs/../../x"},
]
GOOD = [
    {**BASE, "$schema": "../docs/dlrun.schema.json"},
    {**BASE, "gpus": 0},
    {**BASE, "gpus": [0, "1", "GPU-5e3c0a1b-aaaa"]},
    {**BASE, "resources": {"shm_size": 1048576, "memory": "1.5g", "memlock": "unlimited",
                           "log_size": "none", "cpus": 0.5, "pids": 16}},
    {**BASE, "timeout": 90},
    {**BASE, "timeout": "1h30m"},
    {**BASE, "user": "1000:1000"},
    {**BASE, "command": "python train.py"},
    {**BASE, "retry": {"attempts": 1}},
    {**BASE, "outputs": "./out", "checkpoint": "runs/step-*/model..pt",
     "retry": {"attempts": 5, "on": ["any-failure", "oom"], "exit_codes": [75], "delay": 30,
               "max_delay": "1h"}},
    {"version": 1, "framework": {"name": "jax", "version": ">=0.4", "cuda": "12", "python": "3.10",
                                 "variant": "devel", "source": "ngc"}},
]


def dlrun_accepts(path):
    result = subprocess.run([DLRUN, "validate", path], capture_output=True, text=True)
    if result.returncode not in (0, 2):
        sys.exit(f"dlrun validate {path}: exit {result.returncode}: {result.stderr}")
    return result.returncode == 0, result.stderr


def main():
    printed = json.loads(subprocess.run([DLRUN, "schema"], capture_output=True, text=True,
                                        check=True).stdout)
    with open(os.path.join(SOURCE, "docs", "dlrun.schema.json")) as kept:
        if json.load(kept) != printed:
            sys.exit("docs/dlrun.schema.json differs from `dlrun schema`: "
                     "run dlrun schema > docs/dlrun.schema.json")
    jsonschema.Draft7Validator.check_schema(printed)
    validator = jsonschema.Draft7Validator(printed)

    failures = []
    examples = os.path.join(SOURCE, "examples")
    cases = [(os.path.join(examples, name), None, True)
             for name in sorted(os.listdir(examples)) if name.endswith(".json")]
    with tempfile.TemporaryDirectory() as work:
        for index, spec in enumerate(BAD + GOOD):
            path = os.path.join(work, f"case{index}.json")
            with open(path, "w") as out:
                json.dump(spec, out)
            cases.append((path, spec, index >= len(BAD)))
        for path, spec, expected in cases:
            with open(path) as spec_file:
                document = json.load(spec_file)
            if spec is None and not str(document.get("$schema", "")).endswith("dlrun.schema.json"):
                failures.append(f"{path}: does not name the schema in \"$schema\"")
            schema_ok = validator.is_valid(document)
            dlrun_ok, said = dlrun_accepts(path)
            if schema_ok != expected or dlrun_ok != expected:
                failures.append(f"{json.dumps(document)[:120]}: expected "
                                f"{'valid' if expected else 'invalid'}, schema says "
                                f"{'valid' if schema_ok else 'invalid'}, dlrun says "
                                f"{'valid' if dlrun_ok else 'invalid: ' + said.strip()}")
    if failures:
        sys.exit("schema and reader disagree:\n  " + "\n  ".join(failures))
    print(f"schema-agreement: {len(cases)} specs, schema and dlrun validate agree")


if __name__ == "__main__":
    main()
