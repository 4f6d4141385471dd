"""The ``doit-assets`` console script.

Light on purpose: a plain ``doit-assets`` whose project has not changed since
its last full run is answered by the fast path before doit is imported.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        from .fastpath import try_noop

        code = try_noop()
        if code is not None:
            return code
    from .cli import run

    return run(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
