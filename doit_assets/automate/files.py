"""What a watcher watches: the files the assets read and the declarations.

The files read are those no asset makes (sources, ``inputs``, the scripts a
command names): a change of one of them is a reason to run. The watcher's own
outputs are not among them, so a cycle never wakes the next. The declarations
are ``assets.toml``, the dodo file and every Python module of the project that
loading it imported: an edit of one of them reloads the graph.
"""

from __future__ import annotations

import glob
import itertools
import os
import sys

from ..paths import STATE_DIR
from ..plan.plan import Plan
from .evaluate import readers

# Folders of a project whose Python files are not its declarations
NOT_DECLARATIONS = (STATE_DIR, ".venv", "venv", "site-packages", ".tox", ".git")


def watched_files(plan: Plan) -> list[str]:
    """Every file an asset reads that no asset makes, relative to the project."""
    made = {p for a in plan.assets if a.kind == "transform" for p in a.paths}
    files = set(readers(plan)) - made
    for asset in plan.assets:
        if asset.kind == "source" and not asset.observable:
            files.update(asset.paths)
    # what doit-assets writes itself: an observation changes in a run
    return sorted(f for f in files if not f.startswith(STATE_DIR + "/"))


def glob_folders(plan: Plan) -> list[str]:
    """Where an ``inputs`` glob finds its files, as a watcher's paths: ``F/*``
    for the files of F, ``F/`` for all of F (a ``**``, or a glob in a folder's
    name). A file made there may be a new input, even when the glob matches
    nothing yet."""
    found = set()
    for patterns in plan.on_disk.patterns.values():
        for pattern in patterns:
            if not glob.has_magic(pattern):
                continue
            parts = pattern.split("/")
            fixed = list(itertools.takewhile(lambda p: not glob.has_magic(p), parts))
            deep = len(fixed) < len(parts) - 1  # a glob above the file's name
            base = "/".join(fixed)
            if deep and base:
                found.add(base + "/")
            else:
                found.add(f"{base}/*" if base else "*")
    return sorted(found)


def output_paths(plan: Plan) -> list[str]:
    """What the assets make (folders end in '/'): a watcher ignores their events,
    so that a cycle's own writes never wake the next."""
    return sorted({p for a in plan.assets if a.kind == "transform" for p in a.paths})


def declaration_files(assets_file: str, dodo: str | None) -> list[str]:
    """The files that declare the assets, relative to the project (the working
    directory): the ones that exist, and the project's imported modules."""
    here = os.getcwd() + os.sep
    found = {
        os.path.relpath(p) if os.path.abspath(p).startswith(here) else p
        for p in (assets_file, dodo)
        if p and os.path.isfile(p)
    }
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if not path or not path.endswith(".py"):
            continue
        full = os.path.abspath(path)
        if not full.startswith(here):
            continue
        relative = full[len(here) :]
        parts = relative.split(os.sep)
        if any(p in NOT_DECLARATIONS for p in parts[:-1]):
            continue
        found.add(relative)
    return sorted(os.path.normpath(p) for p in found)
