"""The history store at scale: append, `history ASSET` and `lineage ASSET`.

A synthetic store of ROWS materializations: 1 000 pipelines of 10 assets each
(every asset reads the one before it), materialized ROWS / 10 000 times over,
each with one output and one input pointing at the upstream materialization
it read. Queries are timed inside the process, the way the commands run them,
so interpreter start-up is not counted; the whole command line is timed too.
"""

from __future__ import annotations

import contextlib
import io
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from doit_assets.inspect.queries import chain_upstream, materialization_dict
from doit_assets.store.history import History, Input, Output

PIPELINES = 1000
DEPTH = 10


def build_store(path: Path, rows: int) -> History:
    history = History.open(str(path))
    conn = history.conn
    rounds = max(1, rows // (PIPELINES * DEPTH))
    conn.execute("begin")
    conn.execute("insert into runs (started_at, command) values (0, 'bench')")
    mat_id = 0
    latest: dict[str, int] = {}
    for r in range(rounds):
        mats, outs, ins = [], [], []
        for p in range(PIPELINES):
            for d in range(DEPTH):
                mat_id += 1
                asset = f"p{p}/a{d}"
                md5 = f"{mat_id:032x}"
                mats.append((mat_id, 1, asset, "transform", "success", r, r + 1, 1.0))
                outs.append((mat_id, f"build/{asset}.txt", md5, 100))
                if d:
                    upstream = f"p{p}/a{d - 1}"
                    up_id = latest[upstream]
                    ins.append(
                        (
                            mat_id,
                            f"build/{upstream}.txt",
                            upstream,
                            f"{up_id:032x}",
                            up_id,
                        )
                    )
                latest[asset] = mat_id
        conn.executemany(
            "insert into materializations (id, run_id, asset, kind, status, "
            "started_at, ended_at, duration) values (?, ?, ?, ?, ?, ?, ?, ?)",
            mats,
        )
        conn.executemany("insert into outputs values (?, ?, ?, ?)", outs)
        conn.executemany("insert into inputs values (?, ?, ?, ?, ?)", ins)
    conn.execute("commit")
    return history


def _median_ms(fn: object, times: int) -> float:
    samples = []
    for _ in range(times):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def bench_history(rows: int, work: Path) -> list[str]:
    folder = work / "history"
    folder.mkdir(parents=True, exist_ok=True)
    store = folder / ".doit-assets" / "history.sqlite"
    if store.exists():
        store.unlink()
    start = time.perf_counter()
    history = build_store(store, rows)
    built = time.perf_counter() - start
    total = history.conn.execute("select count(*) from materializations").fetchone()[0]
    size_mb = store.stat().st_size / 2**20
    target = f"p{PIPELINES // 2}/a{DEPTH - 1}"

    def append() -> None:
        history.record(
            run_id=1,
            asset=target,
            kind="transform",
            status="success",
            started_at=time.time(),
            ended_at=time.time(),
            transform="cat a > b",
            outputs=[Output(f"build/{target}.txt", os.urandom(16).hex(), 10)],
            inputs=[Input(f"build/p{PIPELINES // 2}/a{DEPTH - 2}.txt", "x", "0" * 32)],
        )

    def history_query() -> None:
        mats = history.materializations(target, limit=20)
        [materialization_dict(history, m) for m in mats]

    def lineage_query() -> None:
        latest = history.materializations(target, limit=1)[0]
        outputs = history.outputs(latest.id)
        found = history.producer_of(outputs[0].path, outputs[0].md5 or "")
        assert found is not None
        chain_upstream(history, found, None)

    append_ms = _median_ms(append, 200)
    history_ms = _median_ms(history_query, 50)
    lineage_ms = _median_ms(lineage_query, 50)
    history.close()
    cli_ms = _cli_ms(folder, ["assets", "history", target])
    return [
        f"History store: {total:,} materializations ({size_mb:.0f} MiB, built in "
        f"{built:.1f} s): {PIPELINES} pipelines of {DEPTH} assets.",
        "",
        "| history operation | median ms | target ms |",
        "|---|---:|---:|",
        f"| append one materialization (committed) | {append_ms:.2f} | 1 |",
        f"| `history {target}` query | {history_ms:.2f} | 50 |",
        f"| `lineage {target}` chain ({DEPTH} levels) | {lineage_ms:.2f} | 50 |",
        f"| `doit assets history {target}` whole command | {cli_ms:.0f} | - |",
    ]


def _cli_ms(folder: Path, args: list[str]) -> float:
    doit = str(Path(sys.executable).parent / "doit")
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            subprocess.run([doit, *args], cwd=folder, capture_output=True, check=False)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)
