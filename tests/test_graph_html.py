"""The graph page in a real browser: headless Chromium runs its JavaScript.

``DOIT_ASSETS_UPDATE_SCREENSHOT=1 pytest tests/test_graph_html.py`` also copies
the screenshot to docs/graph.png.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from conftest import Project

from doit_assets.draw.drawing import render

CHROMIUM = shutil.which("chromium")
DOCS_PNG = Path(__file__).parent.parent / "docs" / "graph.png"

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed: apt-get install chromium"
)


def _mat(
    id: int,
    asset: str,
    ended: str,
    took: float,
    *,
    status: str = "success",
    kind: str = "transform",
    outputs: tuple[tuple[str, str, int], ...] = (),
    error: str | None = None,
) -> dict[str, Any]:
    """A materialization shaped like queries.materialization_dict."""
    return {
        "id": id,
        "run_id": id // 3 + 1,
        "asset": asset,
        "kind": kind,
        "status": status,
        "started_at": None,
        "ended_at": ended,
        "duration_s": None if kind == "source" else took,
        "transform": None,
        "code_version": None,
        "fingerprint": "f" * 32,
        "metadata": {},
        "error": error,
        "exit_code": 1 if error else 0,
        "outputs": [{"path": p, "md5": m, "size": s} for p, m, s in outputs],
        "inputs": [],
    }


def _node(
    asset: str,
    state: str,
    reason: str = "",
    *,
    deps: tuple[str, ...] = (),
    history: tuple[dict[str, Any], ...] = (),
    **extra: Any,
) -> dict[str, Any]:
    source = state == "source"
    node = {
        "asset": asset,
        "kind": "source" if source else "transform",
        "state": state,
        "reason": reason,
        "group": asset.split("/")[0],
        "tags": [],
        "description": None,
        "paths": [f"data/{asset}.csv"],
        "transform": None if source else f"python3 make.py {asset}",
        "deps": list(deps),
        "max_age": None,
        "age": None,
        "last_materialization": next(
            (m for m in history if m["status"] == "success"), None
        ),
        "history": list(history),
    }
    node.update(extra)
    return node


def pipeline() -> list[dict[str, Any]]:
    """Eight assets of a small warehouse, in every state, with some history."""
    md5 = "9e107d9d372bb6826bd81d3542a419d6"
    orders_out = (("data/staging/orders.parquet", md5, 48_213_112),)
    return [
        _node(
            "raw/orders",
            "source",
            history=(
                _mat(
                    9,
                    "raw/orders",
                    "2024-03-05T09:02:11.120Z",
                    0,
                    kind="source",
                    outputs=(("data/raw/orders.csv", md5, 1_204_332),),
                ),
            ),
            description="Orders as exported from the shop every night",
        ),
        _node("raw/customers", "source"),
        _node(
            "staging/orders",
            "fresh",
            deps=("raw/orders",),
            age="3h12m",
            tags=["daily", "pii"],
            history=(
                _mat(
                    12,
                    "staging/orders",
                    "2024-03-05T09:03:40.500Z",
                    88.4,
                    outputs=orders_out,
                ),
                _mat(
                    7,
                    "staging/orders",
                    "2024-03-04T09:02:55.000Z",
                    81.9,
                    outputs=orders_out,
                ),
            ),
        ),
        _node("staging/customers", "fresh", deps=("raw/customers",), age="3h10m"),
        _node(
            "marts/revenue_by_day",
            "stale",
            "input 'data/staging/orders.parquet' changed",
            deps=("staging/orders",),
            age="1d4h",
            history=(
                _mat(8, "marts/revenue_by_day", "2024-03-04T09:04:02.250Z", 4.73),
            ),
        ),
        _node(
            "marts/customer_ltv",
            "failed",
            "last run failed: exit code 1",
            deps=("staging/orders", "staging/customers"),
            history=(
                _mat(
                    13,
                    "marts/customer_ltv",
                    "2024-03-05T09:04:12.900Z",
                    2.31,
                    status="failed",
                    error="KeyError: 'customer_id'\n  at ltv.py:31",
                ),
                _mat(10, "marts/customer_ltv", "2024-03-04T09:05:31.000Z", 12.02),
            ),
        ),
        _node(
            "reports/weekly",
            "missing",
            "output 'reports/weekly.html' does not exist",
            deps=("marts/revenue_by_day", "marts/customer_ltv"),
            paths=["reports/weekly.html"],
        ),
        _node(
            "ml/churn_features",
            "stale",
            "older than its max_age (26h)",
            deps=("staging/customers", "raw/orders"),
            max_age="26h",
            age="30h05m",
            transform="python features:churn",
            history=(_mat(6, "ml/churn_features", "2024-03-04T04:58:00.000Z", 342.5),),
        ),
    ]


class _Assets(HTMLParser):
    """Collects the attributes of every ``<g class="asset ...">``."""

    def __init__(self) -> None:
        super().__init__()
        self.groups: list[dict[str, str | None]] = []
        self.body: dict[str, str | None] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "g" and "asset" in (values.get("class") or "").split():
            self.groups.append(values)
        elif tag == "body":
            self.body = values


def _chromium(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    profile.mkdir()
    argv = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        *args,
    ]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60)


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("graph") / "graph.html"
    path.write_text(render("html", pipeline(), "warehouse: assets"), encoding="utf-8")
    return path


def test_page_draws_every_asset_with_its_state(page: Path, tmp_path: Path) -> None:
    result = _chromium("--dump-dom", page.as_uri(), tmp_path=tmp_path)
    parser = _Assets()
    parser.feed(result.stdout)
    nodes = pipeline()
    assert parser.body.get("data-rendered") == str(len(nodes)), result.stderr[-2000:]
    drawn = {g["data-asset"]: g["data-state"] for g in parser.groups}
    assert drawn == {n["asset"]: n["state"] for n in nodes}
    for g in parser.groups:
        assert f"state-{g['data-state']}" in (g["class"] or "").split()
        assert re.fullmatch(r"translate\([\d.]+,[\d.]+\)", g["transform"] or "")
    # one curve per dependency, each ending in an arrow
    edges = re.findall(r'<path class="edge[^"]*" d="M[^"]+"', result.stdout)
    assert len(edges) == sum(len(n["deps"]) for n in nodes)


def test_page_opened_on_an_asset_shows_its_details(page: Path, tmp_path: Path) -> None:
    url = page.as_uri() + "#asset=marts%2Fcustomer_ltv"
    result = _chromium("--dump-dom", url, tmp_path=tmp_path)
    details = result.stdout.split('<section id="details"', 1)[1]
    details = details.split("</section>", 1)[0]
    assert details.startswith(' class="details" ')  # not "details idle"
    assert "marts/customer_ltv" in details
    assert "last run failed: exit code 1" in details
    assert "KeyError: 'customer_id'" in details  # the failed attempt's first line
    assert details.count("<tr") == 3  # the header and two materializations
    assert 'class="asset state-failed selected"' in result.stdout


def test_screenshot_is_a_picture_of_the_page(page: Path, tmp_path: Path) -> None:
    png = tmp_path / "graph.png"
    url = page.as_uri() + "#asset=marts%2Fcustomer_ltv"
    result = _chromium(
        f"--screenshot={png}", "--window-size=1400,900", url, tmp_path=tmp_path
    )
    assert png.exists(), result.stderr[-2000:]
    assert _png_size(png) == (1400, 900)
    assert png.stat().st_size > 20_000  # a blank page compresses to a few KiB
    if os.environ.get("DOIT_ASSETS_UPDATE_SCREENSHOT") == "1":
        shutil.copyfile(png, DOCS_PNG)


E2E_PIPELINE = """\
[vars]
python = "{python}"

[assets.raw]
path = "data/raw.txt"
group = "ingest"

[assets.tidy]
path = "out/tidy.txt"
transform = "{vars.python} tx.py upper {self.path} {raw.path}"
group = "ingest"

[assets.features]
path = "out/features.txt"
transform = "{vars.python} tx.py cat {self.path} {tidy.path}"
tags = ["ml"]

[assets.report]
path = "out/report.txt"
transform = "{vars.python} tx.py count {self.path} {features.path}"
tags = ["ml"]

[assets.side]
path = "out/side.txt"
transform = "{vars.python} tx.py head {self.path} {raw.path}"
"""


def test_graph_command_page_draws_each_selected_asset_with_its_status(
    project: Project, tmp_path: Path
) -> None:
    """The real command on a real project: what the page draws is what status says."""
    project.write("data/raw.txt", "a\nb\n")
    project.assets(E2E_PIPELINE)
    project.doit_ok()
    project.write("data/raw.txt", "a\nb\nc\n")  # tidy, features, report, side stale
    project.path("out/side.txt").unlink()  # side missing
    selection = "+report"
    result = project.doit("assets", "graph", selection, "--format", "html")
    assert result.code == 0, result
    assert result.out == (
        "wrote .doit-assets/graph.html: 4 assets: 3 stale, 1 source\n"
    )
    status = project.doit("assets", "status", selection, "--json")
    expected = {a["asset"]: a["state"] for a in json.loads(status.out)["assets"]}
    assert expected == {
        "raw": "source",
        "tidy": "stale",
        "features": "stale",
        "report": "stale",
    }
    page = project.path(".doit-assets/graph.html")
    dom = _chromium("--dump-dom", page.as_uri(), tmp_path=tmp_path)
    parser = _Assets()
    parser.feed(dom.stdout)
    assert parser.body.get("data-rendered") == "4", dom.stderr[-2000:]
    assert {g["data-asset"]: g["data-state"] for g in parser.groups} == expected


def test_page_shows_the_checks_of_an_asset_with_their_results(tmp_path: Path) -> None:
    nodes = pipeline()
    staging = next(n for n in nodes if n["asset"] == "staging/orders")
    last = {"passed": False, "message": "missing column 'email'\nmore"}
    staging["checks"] = [
        {
            "check": "min_rows",
            "definition": "min_rows = 10",
            "blocking": True,
            "last": {"passed": True, "message": "12 rows", "materialization_id": 12},
        },
        {
            "check": "has_email",
            "definition": 'columns = ["email"]',
            "blocking": False,
            "last": {**last, "materialization_id": 12},
        },
        {
            "check": "validated",
            "definition": "command: ./v.sh",
            "blocking": True,
            "last": None,
        },
    ]
    path = tmp_path / "graph.html"
    path.write_text(render("html", nodes, "warehouse: assets"), encoding="utf-8")
    url = path.as_uri() + "#asset=staging%2Forders"
    result = _chromium("--dump-dom", url, tmp_path=tmp_path)
    details = result.stdout.split('<section id="details"', 1)[1]
    details = details.split("</section>", 1)[0]
    text = re.sub(r"<[^>]+>", "|", details)
    assert "|Checks|" in text
    assert "min_rows|||min_rows = 10| (blocking) · passed (#12): 12 rows|" in text
    assert (
        'has_email|||columns = ["email"]| (warning) · |failed (#12): '
        "missing column 'email'|" in text  # its first line, as an error
    ), text
    assert "validated|||command: ./v.sh| (blocking) · not run yet|" in text
