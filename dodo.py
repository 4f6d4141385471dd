"""doit-assets builds itself with doit: `doit` runs every check CI runs."""

from __future__ import annotations

import glob
import os
import re

DOIT_CONFIG = {
    "default_tasks": ["lint", "format", "types", "test", "docs"],
    "verbosity": 2,
}

SOURCES = sorted(glob.glob("doit_assets/**/*.py", recursive=True))
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
            "actions": [
                f"doit -f {folder}/dodo.py forget --all",
                f"doit -f {folder}/dodo.py",
            ],
            "file_dep": [example],
            "uptodate": [False],
        }


DOCS = ["README.md", "CHANGELOG.md", "CONTRIBUTING.md", *sorted(glob.glob("docs/*.md"))]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def check_links() -> bool:
    """Every relative link in the docs points at a file that exists."""
    broken = []
    for doc in DOCS:
        with open(doc, encoding="utf-8") as f:
            text = f.read()
        for target in LINK.findall(text):
            if "://" in target or target.startswith("mailto:"):
                continue
            path = os.path.normpath(os.path.join(os.path.dirname(doc), target))
            if not os.path.exists(path):
                broken.append(f"{doc}: broken link to {target}")
    print("\n".join(broken) or f"{len(DOCS)} documents, every link resolves")
    return not broken


def task_docs():
    """the docs' links resolve"""
    return {"actions": [check_links], "file_dep": DOCS}
