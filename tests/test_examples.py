"""Every example project builds from scratch, then has nothing left to do."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import DoitRun, run_doit, run_doit_assets

pytestmark = pytest.mark.e2e  # each example built by the real doit

EXAMPLES_DIR = Path(__file__).parent.parent / "examples"
EXAMPLES = sorted(p.parent for p in EXAMPLES_DIR.glob("*/assets.toml"))

# What a fresh checkout would not have, whatever the example's .gitignore says.
ALWAYS_IGNORED = [".doit-assets", ".doit-assets-staging.*", "__pycache__"]


def fresh_copy(example: Path, target: Path) -> None:
    """Copy an example as a fresh checkout would have it: no state, no outputs."""
    patterns = list(ALWAYS_IGNORED)
    gitignore = example / ".gitignore"
    if gitignore.exists():
        for line in gitignore.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and not line.startswith(("#", "!")):
                patterns.append(line.strip("/"))
    shutil.copytree(example, target, ignore=shutil.ignore_patterns(*patterns))


def run(project: Path, *args: str) -> DoitRun:
    """``doit`` where the example is set up for it, else ``doit-assets``."""
    pyproject = project / "pyproject.toml"
    uses_loader = pyproject.exists() and "loader" in pyproject.read_text()
    if (project / "dodo.py").exists() or uses_loader:
        return run_doit(*args, cwd=project)
    return run_doit_assets(*args, cwd=project)


def test_examples_exist() -> None:
    assert EXAMPLES, f"no examples/*/assets.toml under {EXAMPLES_DIR}"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_example_builds_then_is_up_to_date(example: Path, tmp_path: Path) -> None:
    project = tmp_path / example.name
    fresh_copy(example, project)
    first = run(project)
    assert first.code == 0, first
    assert first.ran, first
    assert "Traceback" not in first.out + first.err
    second = run(project)
    assert second.code == 0, second
    assert second.ran == [], second
    assert second.up_to_date, second
