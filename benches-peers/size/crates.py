#!/usr/bin/env python3
"""Bytes of code and data per crate in an unstripped binary, from `nm -C --print-size`.

    python3 crates.py BINARY [N]            the N largest crates
    python3 crates.py BINARY N OTHER        the N largest differences between two binaries

A symbol counts for the first path segment of its demangled name. A generic of core, alloc
or std (`core::ptr::drop_in_place<hyper::...>`) counts for the first other crate named in
its type arguments, since that crate's use made it. Symbols without a Rust path are C (here:
aws-lc, and libc's statics). Symbol sizes leave out unwind tables and relocations, so they
add up to less than the stripped file (BENCHMARKS.md, "What makes clientcore's size").
"""
import collections
import re
import subprocess
import sys

ROOTS = {"core", "alloc", "std"}


def crates(path):
    out = subprocess.run(
        ["nm", "-C", "--size-sort", "--print-size", path],
        capture_output=True, text=True, check=True,
    ).stdout
    sizes = collections.Counter()
    for line in out.splitlines():
        parts = line.split(None, 3)
        if len(parts) < 4:
            continue
        size, name = int(parts[1], 16), parts[3]
        if "::" not in name and not name.startswith("<"):
            sizes["C code (aws-lc, libc)"] += size
            continue
        first = re.match(r"[<&\s]*(?:(?:mut|dyn|const|impl)\s+)*([A-Za-z_]\w*)", name)
        crate = first.group(1) if first else "?"
        if crate in ROOTS:
            inner = [c for c in re.findall(r"<[&\s]*(?:(?:mut|dyn)\s+)*([A-Za-z_]\w*)::", name)
                     if c not in ROOTS]
            if inner:
                crate = inner[0]
        sizes[crate] += size
    return sizes


def main():
    a = crates(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    if len(sys.argv) > 3:
        b = crates(sys.argv[3])
        print(f"{'A':>10} {'B':>10} {'A-B':>10}  crate  (A total {sum(a.values())}, "
              f"B total {sum(b.values())})")
        for k in sorted(set(a) | set(b), key=lambda k: -abs(a[k] - b[k]))[:n]:
            print(f"{a[k]:>10} {b[k]:>10} {a[k] - b[k]:>10}  {k}")
    else:
        total = sum(a.values())
        print(f"total symbol bytes {total}")
        for crate, size in a.most_common(n):
            print(f"{size:>10} {100 * size / total:5.1f}%  {crate}")


if __name__ == "__main__":
    main()
