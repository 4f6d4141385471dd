"""The garbage collector while a project is loaded: paused, then frozen.

Loading makes many long-lived objects (specs, plan records, doit's Tasks, the
statuses of a command); collecting meanwhile walks them again and again and
frees nothing: a third of a no-op run at 10 000 assets. Afterwards they are
frozen, so that the collections of the run itself do not walk them either.
"""

from __future__ import annotations

import gc
from types import TracebackType


class collector_paused:  # lower case: it reads as a function, with collector_paused()
    """No garbage collection inside; with ``freeze``, what exists by the end is
    moved out of the collector's sight (``gc.freeze``).

    A class rather than a ``@contextmanager``: leaving allocates nothing the
    collector tracks, so the collection the loading postponed is not started
    right there, inside the caller's ``with``, but at the caller's next
    allocation, as it would be without the pause.
    """

    __slots__ = ("collecting", "freeze")

    def __init__(self, *, freeze: bool = False) -> None:
        self.freeze = freeze
        self.collecting = False

    def __enter__(self) -> None:
        self.collecting = gc.isenabled()
        gc.disable()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self.freeze:
            gc.freeze()
        if self.collecting:
            gc.enable()
