"""The ``doit-assets`` console script.

Light on purpose: a plain ``doit-assets`` whose project has not changed since
its last full run is answered by the fast path before doit is imported.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        code = _try_noop()
        if code is not None:
            return code
    from ..doit_plugin.loader import run

    return run(args)


def _try_noop() -> int | None:
    """The fast path, on the project a run would load (``DOIT_ASSETS_FILE``
    names another file, maybe in another folder)."""
    from ..doit_plugin.fastpath import try_noop

    folder, name = os.path.split(os.environ.get("DOIT_ASSETS_FILE") or "assets.toml")
    if not folder:
        return try_noop(name)
    start = os.getcwd()
    try:
        os.chdir(folder)
    except OSError:
        return None  # doit will say what is wrong with it
    code = try_noop(name)
    if code is None:
        os.chdir(start)  # doit changes into the folder itself
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
