#!/usr/bin/env python3
"""The #include graph of src/ and include/, held to the architecture (docs/architecture.md).

Fails on:
  - an include loop inside a folder: a layer (src/jobspec, ...) or one of run/'s parts
    (src/run/plan, ...). A file and its header are one node: plan.cpp and plan.hpp are "plan".
  - an include between folders that the architecture does not allow, whatever the build's
    include paths would let through (a header reached through a part that re-exports it).

Usage: check-includes.py SOURCE_DIR
"""
import os
import re
import sys

# What each folder may include besides itself, its transitive dependencies spelled out. The
# build enforces the direct links; this is the picture people read, checked.
ALLOWED = {
    "base": set(),
    "jobspec": {"base"},
    "engine": {"base"},
    "resolve": {"base"},
    "run/host": {"base", "jobspec", "engine", "resolve"},
    "run/plan": {"base", "jobspec", "engine", "resolve", "run/host"},
    "run/slurm": {"base", "jobspec", "engine", "resolve", "run/host", "run/plan"},
    "run/job": {"base", "jobspec", "engine", "resolve", "run/host", "run/plan", "run/slurm"},
    "run/image": {"base", "jobspec", "engine", "resolve", "run/host", "run/plan"},
    "run/commands": {"base", "jobspec", "engine", "resolve", "run/host", "run/plan",
                     "run/slurm", "run/job", "run/image"},
    "doctor": {"base", "jobspec", "engine", "resolve", "run/host", "run/plan", "run/slurm",
               "run/job", "run/image", "run/commands"},
    "cli": {"base", "jobspec", "engine", "resolve", "run/host", "run/plan", "run/slurm",
            "run/job", "run/image", "run/commands", "doctor"},
}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def folder_of_header(include):
    """The folder an include names: "dlrun/run/plan/plan.hpp" -> "run/plan"."""
    parts = include.split("/")
    if parts[0] != "dlrun":
        return None
    if len(parts) == 2:
        return "base"
    if parts[1] == "run" and len(parts) == 4:
        return "run/" + parts[2]
    return parts[1]


def nodes(root):
    """(folder, stem) -> the dlrun headers its files include, for every file of src/ and include/."""
    graph = {}
    for top in ("src", "include"):
        for directory, _, files in os.walk(os.path.join(root, top)):
            for name in files:
                if not name.endswith((".cpp", ".hpp")):
                    continue
                path = os.path.join(directory, name)
                relative = os.path.relpath(path, root)
                folder = folder_of_file(relative)
                if folder is None:
                    continue
                stem = name.rsplit(".", 1)[0]
                with open(path, encoding="utf-8") as text:
                    includes = INCLUDE.findall(text.read())
                graph.setdefault((folder, stem), set()).update(
                    (folder_of_header(i), os.path.basename(i).rsplit(".", 1)[0])
                    for i in includes if folder_of_header(i) is not None)
    return graph


def folder_of_file(relative):
    parts = relative.split(os.sep)
    if parts[0] == "src":
        if len(parts) == 3:
            return parts[1] if parts[1] in ALLOWED else None
        if len(parts) == 4 and parts[1] == "run":
            return "run/" + parts[2]
        return None
    # include/<layer>/dlrun/<layer>/x.hpp, include/base/dlrun/x.hpp, include/run/<part>/...
    if parts[1] == "base":
        return "base"
    if parts[1] == "run":
        return "run/" + parts[2]
    return parts[1]


def loops(graph):
    """Strongly connected components of more than one node, within one folder (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target[0] != node[0] or target == node:
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10000)
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    graph = nodes(root)
    problems = []
    for (folder, stem), targets in sorted(graph.items()):
        if folder not in ALLOWED:
            problems.append(f"{folder}/{stem}: a folder the architecture does not name")
            continue
        for target_folder, target in sorted(targets):
            if target_folder != folder and target_folder not in ALLOWED[folder]:
                problems.append(f"{folder}/{stem} includes {target_folder}/{target}: "
                                f"{folder} may use only {', '.join(sorted(ALLOWED[folder])) or 'nothing of dlrun'}")
    for component in loops(graph):
        names = " -> ".join(f"{folder}/{stem}" for folder, stem in component)
        problems.append(f"an include loop inside {component[0][0]}: {names}")
    for problem in problems:
        print(f"check-includes: {problem}")
    folders = len({folder for folder, _ in graph})
    print(f"check-includes: {len(graph)} files in {folders} folders, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
