"""What a Python asset may return: its value with metadata about what it made.

Named after Dagster's ``MaterializeResult``. The metadata (rows, columns, a
preview, a score: a dict that JSON can keep) is recorded with the
materialization, beside the asset's declared ``metadata``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class MaterializeResult:
    """Return this from an ``@asset`` function to report metadata.

    ``value`` is what a value asset keeps (its store writes it); a file asset,
    which writes its ``output`` itself, leaves it ``None``. ``metadata`` is a
    dict of strings to what JSON can hold.
    """

    value: Any = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
