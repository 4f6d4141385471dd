"""The environment a transform runs in: what of the caller's it sees
(``[settings] pass_env``; all of it by default) and its own ``env`` on top.

A shell transform is given it as its process's environment. A Python
transform runs in doit's process: ``os.environ`` is set to it while the
function runs, and put back after.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping

from ..plan.records import PlannedAsset


def transform_environment(
    asset: PlannedAsset, settings: Mapping[str, object]
) -> dict[str, str]:
    """The caller's environment as ``pass_env`` chooses, then the asset's env."""
    names = settings.get("pass_env")
    if isinstance(names, (list, tuple)):
        found = {n: os.environ[n] for n in names if n in os.environ}
    else:
        found = dict(os.environ)
    found.update(asset.env)
    return found


def shell_environment(
    asset: PlannedAsset, settings: Mapping[str, object], extra: Mapping[str, str]
) -> dict[bytes, bytes]:
    """``transform_environment`` and ``extra``, as the bytes a process gets:
    copied from ``os.environb`` without decoding each variable to text and
    encoding it back (a cold build pays this for every shell asset)."""
    names = settings.get("pass_env")
    if isinstance(names, (list, tuple)):
        wanted = (os.fsencode(n) for n in names)
        found = {k: os.environb[k] for k in wanted if k in os.environb}
    else:
        found = dict(os.environb)
    for name, value in (*dict(asset.env).items(), *extra.items()):
        found[os.fsencode(name)] = os.fsencode(value)
    return found


def changes_environment(asset: PlannedAsset, settings: Mapping[str, object]) -> bool:
    return bool(asset.env) or isinstance(settings.get("pass_env"), (list, tuple))


@contextlib.contextmanager
def environment_set(variables: Mapping[str, str] | None) -> Iterator[None]:
    """``os.environ`` is ``variables`` inside (None: left alone)."""
    if variables is None:
        yield
        return
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(variables)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
