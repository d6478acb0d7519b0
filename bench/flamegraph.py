#!/usr/bin/env python3
"""A flame graph (SVG) from `perf script` output: one box per function, as wide as the share of
samples whose stack passes through it, callers below callees.

    perf script -i perf.data | bench/flamegraph.py --comm dlrun --title "…" > graph.svg

Debian has no flame graph package (Brendan Gregg's FlameGraph scripts are not packaged), so
bench/ carries this small one: stacks are folded as his stackcollapse-perf.pl does, and drawn
in the same layout.
"""
import argparse
import html
import re
import sys
import zlib

WIDTH = 1200
ROW = 16
FONT = 11
MIN_FRACTION = 0.002  # boxes narrower than this share of the samples are left out


def folded_stacks(lines, comm):
    """Yields (frames root first, count) per sample of the process named `comm`."""
    header = re.compile(r"^(\S.*?)\s+\d+(/\d+)?\s")
    frames, taking = [], False
    for line in lines:
        line = line.rstrip("\n")
        if not line:
            if taking and frames:
                yield list(reversed(frames)), 1
            frames, taking = [], False
            continue
        if not line[0].isspace():
            match = header.match(line)
            taking = bool(match) and (comm is None or match.group(1) == comm)
            continue
        if taking:
            parts = line.strip().split(" ", 1)
            symbol = parts[1] if len(parts) > 1 else parts[0]
            symbol = re.sub(r"\+0x[0-9a-f]+", "", symbol)
            symbol = re.sub(r" \(([^)]*/)?([^/)]*)\)$", r" [\2]", symbol)  # the library's name
            if symbol.startswith("[unknown]"):
                symbol = "[unknown]" + symbol[len("[unknown]"):]
            frames.append(symbol)
    if taking and frames:
        yield list(reversed(frames)), 1


def tree_of(stacks):
    root = {"name": "all", "count": 0, "children": {}}
    for frames, count in stacks:
        root["count"] += count
        node = root
        for frame in frames:
            node = node["children"].setdefault(frame, {"name": frame, "count": 0, "children": {}})
            node["count"] += count
    return root


def depth_of(node):
    return 1 + max((depth_of(child) for child in node["children"].values()), default=0)


def color(name):
    # Warm colours, the same for the same function in every graph.
    hashed = zlib.crc32(name.encode())
    if "kernel.kallsyms" in name:
        return f"rgb({200 + hashed % 40},{120 + hashed % 60},{120 + hashed % 40})"
    return f"rgb({215 + hashed % 40},{90 + hashed % 110},{30 + hashed % 40})"


def short(name):
    """C++ names without their template and parameter lists: readable in a box."""
    out, depth = [], 0
    for character in name:
        if character in "<(":
            if depth == 0:
                out.append("<…>" if character == "<" else "()")
            depth += 1
        elif character in ">)" and depth > 0:
            depth -= 1
        elif depth == 0:
            out.append(character)
    return "".join(out)


def svg(root, title, subtitle):
    total = root["count"]
    rows = depth_of(root)
    height = (rows + 3) * ROW + 10
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
           f'font-family="monospace" font-size="{FONT}">',
           f'<rect width="100%" height="100%" fill="#fafafa"/>',
           f'<text x="{WIDTH / 2}" y="{ROW}" text-anchor="middle" font-size="{FONT + 3}">'
           f'{html.escape(title)}</text>',
           f'<text x="{WIDTH / 2}" y="{2 * ROW}" text-anchor="middle">{html.escape(subtitle)}</text>']

    def draw(node, x, level):
        width = node["count"] / total * (WIDTH - 20)
        if node["count"] / total < MIN_FRACTION:
            return
        y = height - (level + 1) * ROW - 5
        label = short(node["name"])
        share = 100.0 * node["count"] / total
        out.append(f'<g><title>{html.escape(label)} ({node["count"]} samples, {share:.1f}%)</title>'
                   f'<rect x="{x:.1f}" y="{y}" width="{max(width - 0.5, 0.5):.1f}" height="{ROW - 1}" '
                   f'fill="{color(node["name"])}" rx="2"/>')
        fits = int(width / (FONT * 0.6)) - 1
        if fits >= 3:
            text = label if len(label) <= fits else label[:fits - 1] + "…"
            out.append(f'<text x="{x + 3:.1f}" y="{y + ROW - 4}">{html.escape(text)}</text>')
        out.append("</g>")
        offset = x
        for child in sorted(node["children"].values(), key=lambda c: c["name"]):
            draw(child, offset, level + 1)
            offset += child["count"] / total * (WIDTH - 20)

    draw(root, 10, 0)
    out.append("</svg>")
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comm", help="only samples of this process name")
    parser.add_argument("--title", default="flame graph")
    args = parser.parse_args()
    root = tree_of(folded_stacks(sys.stdin, args.comm))
    if root["count"] == 0:
        sys.exit("flamegraph: no samples" + (f" of {args.comm}" if args.comm else ""))
    subtitle = f"{root['count']} samples; width = share of samples, callers below callees"
    sys.stdout.write(svg(root, args.title, subtitle) + "\n")


if __name__ == "__main__":
    main()
