"""What the installed distributions cost a Python asset's code version.

    python benchmarks/packages_bench.py                  # 0, 300 and 1000 more
    python benchmarks/packages_bench.py --sizes 0 --repeat 3

For each size N, N distributions are written into a folder put first on
sys.path, as pip lays them out (a ``.dist-info`` with a 40-line ``METADATA``,
a ``RECORD`` of 30 files, ``top_level.txt`` for half of them), beside those
of this environment. Each measurement runs in a new Python (the median of
``--repeat``):

- ``packages_distributions()``: importlib.metadata's map of module names to
  distributions, which reads every distribution's metadata;
- reading the table (load/packages.py: that map and every version);
- the table from the disk cache (``.doit-assets/packages.cache``), as every
  run after the first reads it;
- per asset, once the table is known: ``imported_distributions`` of a
  function whose module imports two distributions, and ``code_parts`` with
  and without packages.

Results go to benchmarks/results/packages.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "packages.md"

MEASURE = textwrap.dedent(
    """\
    import json, sys, time
    sys.path[:0] = [{site!r}, {root!r}]
    import importlib.metadata
    from doit_assets.load import packages
    from doit_assets.load.codeversion import code_parts

    def took(fn, n=1):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        return (time.perf_counter() - start) / n

    out = {{}}
    out["count"] = sum(1 for _ in importlib.metadata.distributions())
    out["packages_distributions"] = took(importlib.metadata.packages_distributions)
    out["read"] = took(packages._read_installed)
    packages._CACHE.table({root!r})  # reads, and writes the disk cache
    packages.forget()
    out["cached"] = took(lambda: packages._CACHE.table({root!r}))
    import steps
    packages.imported_distributions(steps.made, {root!r})
    out["pairs"] = packages.imported_distributions(steps.made, {root!r})
    n = 2000
    out["imported"] = took(lambda: packages.imported_distributions(steps.made, {root!r}), n)
    from doit_assets.load.codeversion import reached_modules
    modules = reached_modules(steps.made, {root!r})
    out["lookup"] = took(lambda: packages.distributions_of(modules, {root!r}), 100000)
    out["with"] = took(lambda: code_parts(steps.made, {root!r}), n)
    out["without"] = took(lambda: code_parts(steps.made, {root!r}, False), n)
    file = steps.__file__
    out["lines"] = sum(1 for _ in open(file))
    out["parse"] = took(lambda: packages._parse_imports(file), 50)
    parsed = packages._Parsed({root!r})
    parsed.imports_of(file)
    out["parsed"] = took(lambda: packages._Parsed({root!r}).imports_of(file), 200)
    print(json.dumps(out))
    """
)

STEPS = """\
import json

import dist0
import dist1


def helper(n: int) -> int:
    return n * 2


def made() -> str:
    return json.dumps([dist0.X, dist1.X, helper(2)])
""" + "".join(
    f"\n\ndef filler{i}(rows: list[int]) -> int:\n    total = 0\n"
    f"    for row in rows:\n        total += row * {i}\n    return total\n"
    for i in range(50)
)  # a module of about 400 lines


def write_distributions(site: Path, count: int) -> None:
    site.mkdir(parents=True, exist_ok=True)
    header = "".join(f"Classifier: Topic :: Thing {i}\n" for i in range(36))
    for i in range(count):
        name = f"dist{i}"
        info = site / f"{name}-1.{i}.dist-info"
        info.mkdir()
        (site / name).mkdir()
        files = [f"{name}/__init__.py"] + [f"{name}/m{j}.py" for j in range(29)]
        for rel in files[:1]:
            (site / rel).write_text("X = 1\n")
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.{i}\n{header}"
        )
        if i % 2 == 0:
            (info / "top_level.txt").write_text(f"{name}\n")
        record = [*files, f"{info.name}/METADATA", f"{info.name}/RECORD"]
        (info / "RECORD").write_text("".join(f"{f},sha256=x,1\n" for f in record))


def measure(count: int, repeat: int) -> dict[str, object]:
    runs = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            site, root = Path(tmp) / "site", Path(tmp) / "project"
            write_distributions(site, max(count, 2))
            (root / ".doit-assets").mkdir(parents=True)
            (root / "steps.py").write_text(STEPS)
            script = MEASURE.format(site=str(site), root=str(root))
            done = subprocess.run(
                [sys.executable, "-c", script],
                capture_output=True,
                text=True,
                check=True,
            )
            runs.append(json.loads(done.stdout))
    keys = ("packages_distributions", "read", "cached", "imported", "lookup")
    keys += ("with", "without", "parse", "parsed")
    result: dict[str, object] = {k: statistics.median(r[k] for r in runs) for k in keys}
    result["count"] = runs[0]["count"]
    result["pairs"] = runs[0]["pairs"]
    result["lines"] = runs[0]["lines"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[0, 300, 1000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = []
    for size in args.sizes:
        found = measure(size, args.repeat)
        rows.append(
            f"| {found['count']} | {found['packages_distributions'] * 1e3:.1f} "  # type: ignore[operator]
            f"| {found['read'] * 1e3:.1f} | {found['cached'] * 1e3:.2f} "  # type: ignore[operator]
            f"| {found['imported'] * 1e6:.0f} | {found['lookup'] * 1e6:.2f} "  # type: ignore[operator]
            f"| {found['with'] * 1e6:.0f} "  # type: ignore[operator]
            f"| {found['without'] * 1e6:.0f} |"  # type: ignore[operator]
        )
        print(rows[-1], flush=True)
        parse = (
            f"{found['lines']} lines: parsed in {found['parse'] * 1e3:.2f} ms, "  # type: ignore[operator]
            f"from the disk cache (a stat, a read) in {found['parsed'] * 1e6:.0f} µs"  # type: ignore[operator]
        )
        print(parse, flush=True)
    text = f"""\
# Installed distributions in the code version: what they cost

Machine: {platform.machine()}, shared with other work while it ran; Python
{platform.python_version()}, {platform.system()} {platform.release()}. Written
{time.strftime("%Y-%m-%d %H:%M")} by `python benchmarks/packages_bench.py`
(median of {args.repeat} runs, each in a new Python).

Columns: the distributions installed (this environment's plus those
written); `packages_distributions()` once, in milliseconds; reading the table
(that map and every version); the table from the disk cache; then per asset
once the table is known, in microseconds: `imported_distributions` of a
function whose module imports two distributions (the walk of its code, as
the code version makes it, then the lookup), the lookup alone (what
`code_parts` adds to the walk: `distributions_of` its modules), and
`code_parts` with and without packages (the two differ by the lookup; the
rest is noise of a shared machine).

| distributions | packages_distributions ms | read table ms | cached table ms | imported_distributions µs | lookup µs | code_parts µs | without packages µs |
|---:|---:|---:|---:|---:|---:|---:|---:|
{chr(10).join(rows)}

The imports of a project module (the asset's module here, of {parse}) are
parsed once per module and kept in `.doit-assets/imports.cache` by the
file's stamp; the time "from the disk cache" includes reading that file.

The table is read once per process, and only when the folders of `sys.path`
changed since the last run (an install, a removal); every other run reads
the disk cache. Per asset, what packages add to `code_parts` is the lookup of
its modules' imports (found once per module and process) and of their
distributions (once per set of imported names).
"""
    RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
