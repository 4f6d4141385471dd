"""The small formatters (doit_assets/text.py), and the kinds the answers name.

In-process: no doit, no project.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

import pytest

from doit_assets.inspect.causes import STATES, CauseKind, State
from doit_assets.text import (
    first_line,
    format_size,
    format_took,
    iso,
    local_time,
    local_time_of_iso,
    md5_change,
    short_md5,
    table,
)

DOCS = Path(__file__).parent.parent / "docs"
MD5 = "3f9c0a1b2d4e5f60718293a4b5c6d7e8"


def test_first_line_skips_the_blank_lines_before_it() -> None:
    assert first_line("\n\n  exit code 1: boom\nTraceback\n") == "exit code 1: boom"
    assert first_line("   \n") == ""
    assert first_line(None) == ""


def test_a_digest_in_a_column_is_12_digits_or_a_dash() -> None:
    assert short_md5(MD5) == "3f9c0a1b2d4e"
    assert short_md5(None) == "-"
    assert short_md5("") == "-"


def test_a_changed_digest_reads_none_for_a_side_without_a_version() -> None:
    assert md5_change(MD5, "77ab01cd9e2f00") == "3f9c0a1b2d4e → 77ab01cd9e2f"
    assert md5_change(MD5, None) == "3f9c0a1b2d4e → (none)"
    assert md5_change(None, MD5) == "(none) → 3f9c0a1b2d4e"


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (None, "-"),
        (0, "0 B"),
        (1023, "1023 B"),
        (1024, "1.0 KiB"),
        (1536, "1.5 KiB"),
        (5 * 1024**2, "5.0 MiB"),
        (3 * 1024**4, "3072.0 GiB"),
    ],
)
def test_sizes_in_binary_units(size: int | None, text: str) -> None:
    assert format_size(size) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "-"),
        (0.0, "0.00s"),
        (0.416, "0.42s"),
        (59.994, "59.99s"),
        (60.0, "1m00s"),
        (125.7, "2m05s"),
        (3599.9, "59m59s"),
        (7322.0, "2h02m"),
    ],
)
def test_how_long_it_took(seconds: float | None, text: str) -> None:
    assert format_took(seconds) == text


def test_times_local_for_reading_iso_for_json() -> None:
    moment = 1709632800.25  # 2024-03-05 10:00:00.25 UTC
    assert iso(moment) == "2024-03-05T10:00:00.250Z"
    assert iso(None) is None
    assert local_time(None) == "-"
    assert local_time_of_iso(None) == "-"
    # the history's text reads the times of its JSON: to the same second
    for stamp in (moment, 1709632800.9999996, 1709632799.0000004):
        assert local_time_of_iso(iso(stamp)) == local_time(stamp)


def test_a_table_aligns_its_columns_and_trims_the_lines() -> None:
    rows = [["1", "report", ""], ["12", "a", "x"]]
    assert table(["ID", "ASSET", "NOTE"], rows, right={0}) == (
        "ID  ASSET   NOTE\n 1  report\n12  a       x\n"
    )


def _documented(section: str) -> list[str]:
    """The first column of the table under ``section`` in docs/status.md."""
    text = (DOCS / "status.md").read_text(encoding="utf-8")
    body = text.split(f"\n{section}\n", 1)[1].split("\n#", 1)[0]
    return re.findall(r"^\| `([a-z_]+)` \|", body, re.MULTILINE)


def test_every_state_is_documented_in_its_order() -> None:
    assert list(STATES) == _documented("### States") == list(get_args(State))


def test_every_cause_kind_is_documented_in_its_order() -> None:
    assert list(get_args(CauseKind)) == _documented("## Causes")
