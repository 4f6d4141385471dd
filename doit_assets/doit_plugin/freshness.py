"""The ``uptodate`` check of every asset task: what doit does not check.

doit checks file dependencies itself (md5 with an mtime short-cut, which gives
early cutoff for free) and targets only for existence, so ``AssetFreshness``
adds what an asset needs on top: the definition fingerprint, every output's
content (a deleted, truncated or hand-edited output re-runs its asset), the
content of upstream *directories*, which doit cannot hash, and its age.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from ..model import clock
from ..store.versions import (
    DIR_INPUTS,
    FINGERPRINT,
    MADE_AT,
    OUTPUTS,
    output_state,
    too_old,
    unchanged,
)

_SIGNATURE = inspect.Signature(
    [
        inspect.Parameter("task", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        inspect.Parameter("values", inspect.Parameter.POSITIONAL_OR_KEYWORD),
    ]
)


class AssetFreshness:
    """doit ``uptodate`` item: fingerprint, output content, directory inputs, age.

    Outputs and directory inputs are paths as doit sees them (relative to the
    working directory); directories keep their trailing ``/``.
    """

    # doit asks for the signature of every uptodate callable on every check;
    # this answers at once (inspect would otherwise work it out each time).
    __signature__ = _SIGNATURE

    def __init__(
        self,
        fingerprint: str,
        outputs: tuple[str, ...],
        dir_inputs: tuple[str, ...] = (),
        max_age: float | None = None,
        environment: Mapping[str, Any] | None = None,
    ) -> None:
        self.fingerprint = fingerprint
        self.outputs = outputs
        self.dir_inputs = dir_inputs
        self.max_age = max_age
        # its fingerprint's components (env, tools, packages): the history
        # records them with each materialization, and `why` compares them
        self.environment = environment

    def __repr__(self) -> str:
        return "doit-assets check of the transform, code version and outputs"

    def configure_task(self, task: Any) -> None:
        task.value_savers.append(self.record)

    def record(self) -> dict[str, Any]:
        """Values doit stores after a success; the reporter reads them too."""
        return {
            FINGERPRINT: self.fingerprint,
            OUTPUTS: {p: output_state(p, names=True) for p in self.outputs},
            DIR_INPUTS: {p: output_state(p) for p in self.dir_inputs},
            MADE_AT: clock.now(),
        }

    def __call__(self, task: Any, values: Mapping[str, Any]) -> bool:
        run = task.meta.get("run")
        if run is not None and task.name in run.force:
            return False  # a schedule or a sensor says: make it again
        if values.get(FINGERPRINT) != self.fingerprint:
            return False
        for group, paths in ((OUTPUTS, self.outputs), (DIR_INPUTS, self.dir_inputs)):
            stored = values.get(group) or {}
            if not all(unchanged(p, stored.get(p)) for p in paths):
                return False
        return not too_old(values, self.max_age)
