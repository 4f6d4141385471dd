"""The garbage collector while a project is loaded: paused, then frozen.

Loading makes many long-lived objects (specs, plan records, doit's Tasks, the
statuses of a command); collecting meanwhile walks them again and again and
frees nothing: a third of a no-op run at 10 000 assets. Afterwards they are
frozen, so that the collections of the run itself do not walk them either.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused(*, freeze: bool = False) -> Iterator[None]:
    """No garbage collection inside; with ``freeze``, what exists by the end is
    moved out of the collector's sight (``gc.freeze``)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if collecting:
            gc.enable()
