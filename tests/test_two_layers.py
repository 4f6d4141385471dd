"""The suite's two layers (conftest.py): a test that is not marked e2e runs in
this process, and starting doit or another Python from it fails it at once."""

from __future__ import annotations

import os
import subprocess

import pytest
from conftest import DOIT_ASSETS, PYTHON, _starts_doit_or_python
from doit.doit_cmd import DoitMain


def test_what_counts_as_starting_doit_or_python() -> None:
    python = os.path.basename(PYTHON)
    assert _starts_doit_or_python([PYTHON, "-m", "doit", "list"]) == python
    assert _starts_doit_or_python([DOIT_ASSETS, "list"]) == "doit-assets"
    assert _starts_doit_or_python(["doit"]) == "doit"
    assert _starts_doit_or_python("cd x && doit -n 2") == "doit"
    assert _starts_doit_or_python("/usr/bin/python3.11 tx.py") == "python3.11"
    assert _starts_doit_or_python(["env", "-m", "doit"]) == "python -m doit"
    assert _starts_doit_or_python(["dot", "-Tsvg"]) is None
    assert _starts_doit_or_python("sleep 30 | cat > 'out/a b.txt'") is None
    assert _starts_doit_or_python("echo 'unbalanced") is None


def test_a_test_not_marked_e2e_cannot_start_doit() -> None:
    with pytest.raises(pytest.fail.Exception, match="is not marked e2e"):
        subprocess.run([PYTHON, "-m", "doit", "list"], check=False)
    with pytest.raises(pytest.fail.Exception, match="is not marked e2e"):
        DoitMain().run(["list"])
    assert subprocess.run(["true"], check=False).returncode == 0  # others may run


@pytest.mark.e2e
def test_a_test_marked_e2e_can() -> None:
    done = subprocess.run(
        [PYTHON, "-c", "print('started')"], capture_output=True, text=True, check=False
    )
    assert done.stdout == "started\n"


def test_the_project_fixture_makes_a_test_e2e(
    request: pytest.FixtureRequest, project: object
) -> None:
    assert request.node.get_closest_marker("e2e") is not None
