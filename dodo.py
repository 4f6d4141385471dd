"""doit-assets builds itself with doit: `doit` runs every check CI runs."""

from __future__ import annotations

import glob

DOIT_CONFIG = {"default_tasks": ["lint", "format", "types", "test"], "verbosity": 2}

SOURCES = sorted(glob.glob("doit_assets/*.py"))
TESTS = sorted(glob.glob("tests/**/*.py", recursive=True))


def task_lint():
    """ruff check over the package, the tests and the benchmarks"""
    return {"actions": ["ruff check ."], "file_dep": SOURCES + TESTS}


def task_format():
    """ruff format --check"""
    return {"actions": ["ruff format --check ."], "file_dep": SOURCES + TESTS}


def task_types():
    """mypy --strict on the package"""
    return {"actions": ["mypy --strict doit_assets"], "file_dep": SOURCES}


def task_test():
    """the test suite, examples included"""
    return {"actions": ["pytest -q"], "file_dep": SOURCES + TESTS}


def task_examples():
    """run every example project from scratch"""
    for example in sorted(glob.glob("examples/*/assets.toml")):
        folder = example.rsplit("/", 1)[0]
        yield {
            "name": folder.split("/")[-1],
            "actions": [f"doit -d {folder} forget --all", f"doit -d {folder}"],
            "file_dep": [example],
            "uptodate": [False],
        }
