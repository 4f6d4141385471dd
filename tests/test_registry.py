"""The registry of running transforms (run/processes.py), in-process: an
entry is written once when an attempt begins, and its transform's group is a
line appended to it (a cold build pays one file per asset, not two)."""

from __future__ import annotations

import os
from pathlib import Path

from doit_assets.run.processes import Registry, identity

RUN = ("boot", 1, "0")


def test_the_group_of_a_started_attempt_is_read_back_from_its_entry(
    tmp_path: Path,
) -> None:
    registry = Registry(str(tmp_path / "running"), run=RUN)
    entry = registry.begin([str(tmp_path / "staging")])
    registry.started(entry, os.getpid())
    [found] = registry.entries()
    assert found.data == {
        "run": list(RUN),
        "folders": [str(tmp_path / "staging")],
        "group": list(identity(os.getpid()) or ()),
    }
    assert Path(entry.path).read_bytes().count(b"\n") == 1  # one line appended
    registry.end(entry)
    assert list(registry.entries()) == []


def test_an_entry_whose_appended_line_was_cut_short_keeps_what_it_had(
    tmp_path: Path,
) -> None:
    registry = Registry(str(tmp_path / "running"), run=RUN)
    entry = registry.begin(["staging"])
    with open(entry.path, "ab") as f:
        f.write(b'\n{"group": ["boot", 12')  # a write that never ended
    [found] = registry.entries()
    assert found.data == {"run": list(RUN), "folders": ["staging"], "group": None}
