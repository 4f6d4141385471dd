"""RunContext: what one run knows beyond its tasks, passed down explicitly.

Whoever starts a run makes it (``doit assets materialize`` with ``--only`` and a
backfill's id; the loader of ``doit-assets``; a plain ``dodo.py``'s task creator
its own), and hands it on: the task creator fills in the project's settings
and gives it to every task it makes (``meta["run"]``) and every job; the
reporter reads it, and adds its hooks and the run's identity. Nothing of a
run lives in module globals, so that one process can run many builds (tests,
a watcher, an executor) without one leaking into the next.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .processes import Identity


@dataclass(eq=False)
class RunContext:
    # the project's [settings], as the task creator loaded them
    settings: Mapping[str, object] = field(default_factory=dict)
    # the assets.toml whose full, successful run the no-op fast path may vouch for
    fast_path: str | None = None
    # doit assets backfill: its id, for the history of the run
    backfill_id: int | None = None
    # materialize --only: only these assets (or KEY:PARTITION tasks) become tasks;
    # what they read of the others is then plain files
    only: frozenset[str] = frozenset()
    # called before a transform's output reaches the terminal (the progress line
    # erases itself there, so that the two never share a line)
    before_output: list[Callable[[], None]] = field(default_factory=list)
    # the doit process of the run (set by its reporter, before workers fork)
    run: Identity | None = None
    # warnings already printed: each once per run, however often it is loaded
    warned: set[str] = field(default_factory=set)
    # the run's id in the history (set by its recorder, before workers fork):
    # it names the folder of its attempts' logs, and the attempts that are
    # retried are recorded where they run; None: no history, no logs
    run_id: int | None = None
    # automation (doit assets tick, watch): what started the run, why each task
    # was chosen, the tasks run whatever doit's check says (a schedule, a
    # sensor), and whether to wait for another run's lock rather than fail
    trigger: str | None = None
    reasons: Mapping[str, str] = field(default_factory=dict)
    force: frozenset[str] = frozenset()
    wait_for_lock: bool = False
    # the command the history names (None: this process's own command line)
    command: str | None = None
    # Performance (issue 17): the fast path's cone, the only tasks doit gets
    # (None: all of them), and the tasks it found up to date, in doit's order
    cone: frozenset[str] | None = None
    fresh: tuple[str, ...] = ()

    def chosen(self, name: str) -> bool:
        """Does a task of ``name`` (``KEY`` or ``KEY:PARTITION``) belong to the run?"""
        return not self.only or name in self.only or name.partition(":")[0] in self.only

    def __getstate__(self) -> dict[str, Any]:
        # Sent to a worker that was not forked (doit -n from Python 3.14, or on
        # macOS): the hooks belong to this process.
        state = dict(self.__dict__)
        state["before_output"] = []
        return state

    def __repr__(self) -> str:
        return "<doit-assets run context>"
