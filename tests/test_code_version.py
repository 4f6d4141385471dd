"""Code versions, in this process: the version of a Python asset changes with
each edit that changes what it makes, and with no other (load/codeversion.py).

The edits are those of test_python_assets.py, which checks through doit that
each re-runs exactly these assets; here the versions alone, without doit.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import ModuleType

import pytest
from test_python_assets import CODE_EDITS, HELPERS, STEPS

from doit_assets.load.codeversion import code_version
from doit_assets.load.decorators import collect

MODULES = ("steps", "helpers", "outside")  # the modules these tests write


def write(folder: Path, files: Mapping[str, str]) -> Path:
    folder.mkdir(parents=True)
    for rel, text in files.items():
        (folder / rel).write_text(text, encoding="utf-8")
    return folder


@contextlib.contextmanager
def imported(*folders: Path) -> Iterator[ModuleType]:
    """steps.py of the first folder, imported afresh with ``folders`` on the path."""
    for name in MODULES:
        sys.modules.pop(name, None)
    sys.path[:0] = [str(f) for f in folders]
    importlib.invalidate_caches()
    try:
        yield importlib.import_module("steps")
    finally:
        del sys.path[: len(folders)]
        for name in MODULES:
            sys.modules.pop(name, None)


def versions(root: Path, *others: Path) -> dict[str, str]:
    """The version of each asset of ``root``/steps.py as the plan takes it: the
    explicit ``code_version``, else the digest of the code it reaches in ``root``."""
    with imported(root, *others) as steps:
        return {
            found.key: found.table.get("code_version")
            or code_version(found.fn, str(root))
            for found in collect([steps])
        }


def changed(before: Mapping[str, str], after: Mapping[str, str]) -> list[str]:
    assert before.keys() == after.keys()
    return sorted(key for key in before if before[key] != after[key])


@pytest.mark.parametrize(
    ("rel", "old", "new", "reruns"),
    [case[1:] for case in CODE_EDITS],
    ids=[case[0] for case in CODE_EDITS],
)
def test_a_code_edit_changes_the_versions_of_exactly_what_it_reruns(
    tmp_path: Path, rel: str, old: str, new: str, reruns: list[str]
) -> None:
    files = {"steps.py": STEPS, "helpers.py": HELPERS}
    before = versions(write(tmp_path / "before", files))
    assert sorted(before) == ["loud", "pinned", "total", "words"]
    assert files[rel].count(old) == 1 or not old
    edited = {**files, rel: files[rel].replace(old, new)}
    # another folder: where the project lies is not part of its code
    after = versions(write(tmp_path / "after", edited))
    assert changed(before, after) == reruns


USES_OUTSIDE = """\
from outside import helper

from doit_assets import asset


@asset
def made() -> int:
    return helper()
"""


@pytest.mark.parametrize(("inside", "counts"), [(False, False), (True, True)])
def test_only_code_of_the_project_is_part_of_a_version(
    tmp_path: Path, inside: bool, counts: bool
) -> None:
    """A helper edited outside the project (an installed library, say) changes
    nothing; the same helper in the project does."""

    def version(helper_body: str, n: int) -> str:
        root = write(tmp_path / f"project{n}", {"steps.py": USES_OUTSIDE})
        helper = {"outside.py": f"def helper() -> int:\n    return {helper_body}\n"}
        if inside:
            write(root / "lib", helper)
            return versions(root, root / "lib")["made"]
        return versions(root, write(tmp_path / f"library{n}", helper))["made"]

    assert (version("1", 1) != version("2", 2)) is counts
    assert version("1", 3) == version("1", 4)


CLOSURE = """\
from doit_assets import asset


def scaled_by(factor):
    @asset(name="scaled")
    def scaled() -> int:
        return 21 * factor

    return scaled


scaled = scaled_by({factor})
"""


def test_a_value_held_by_a_closure_is_part_of_a_version(tmp_path: Path) -> None:
    def version(factor: int, n: int) -> str:
        root = write(tmp_path / f"p{n}", {"steps.py": CLOSURE.format(factor=factor)})
        return versions(root)["scaled"]

    assert version(2, 1) == version(2, 2)
    assert version(2, 3) != version(3, 4)
