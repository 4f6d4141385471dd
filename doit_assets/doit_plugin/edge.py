"""Where doit-assets' errors reach doit: as doit's ``InvalidDodoFile``.

doit prints an ``InvalidDodoFile`` raised while it loads tasks or runs a
command as ``ERROR: <message>`` and exits with code 3, without a traceback:
the one line of an ``AssetError`` is exactly that message.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from doit.exceptions import InvalidDodoFile

from ..errors import AssetError


def as_doit_error(err: AssetError) -> InvalidDodoFile:
    return InvalidDodoFile(err.message)


@contextmanager
def reported_by_doit() -> Iterator[None]:
    """An ``AssetError`` inside leaves as doit's ``InvalidDodoFile``."""
    try:
        yield
    except AssetError as err:
        raise as_doit_error(err) from None
