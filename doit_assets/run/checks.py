"""Running an asset's checks on the staged outputs of an attempt.

``run_checks`` is called by ``execute.materialize`` after the transform
succeeded and before its outputs replace the previous ones: what a check sees
is the new version, still in its staging folder. Each check gives a
``CheckOutcome``; one that raises (or a command that cannot run) has failed,
with its error as the message. A blocking check that failed makes the attempt
fail (``blocking_failure``): nothing is published, the previous output stays.

The built-in kinds read rows by extension: ``.csv`` and ``.tsv`` files are a
header line and then rows; ``.jsonl``, ``.ndjson`` and ``.txt`` files are a
row per line that is not blank.
"""

from __future__ import annotations

import csv
import importlib
import io
import json
import math
import os
import signal
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..model.checks import HEADER_EXTENSIONS, CheckResult
from ..paths import is_directory
from ..plan.records import PlannedAsset, PlannedCheck, PythonCall
from ..store.records import CheckOutcome
from .staging import Attempt

# Where doit's action leaves what the checks found: in the task's meta, which
# doit sends back from a ``-n`` worker with the task; the reporter takes it.
CHECKED = "checked"
MESSAGE_KEPT = 2000  # characters of a message (a command's output) kept
INSTALL_HINT = "pip install 'doit-assets[checks]'"

# (passed, message, metadata)
Found = tuple[bool, str, Mapping[str, Any]]


def run_checks(asset: PlannedAsset, attempt: Attempt) -> list[CheckOutcome]:
    """Every check of ``asset`` on ``attempt``'s staged outputs, in order."""
    outcomes = []
    for check in asset.checks:
        try:
            passed, message, metadata = _run(check, asset, attempt)
            metadata = _plain(metadata)
        except Exception as err:  # the check itself broke: it failed, saying why
            passed, message, metadata = False, _error(err), {}
        outcomes.append(
            CheckOutcome(
                check.name,
                passed,
                check.blocking,
                _kept(message),
                metadata,
                time.time(),
            )
        )
    return outcomes


def blocking_failure(task: str, outcomes: Sequence[CheckOutcome]) -> str | None:
    """The message of an attempt that a blocking check failed, or None."""
    lines = [failed_line(task, o) for o in outcomes if o.blocking and not o.passed]
    return "\n".join(lines) if lines else None


def failed_line(task: str, outcome: CheckOutcome) -> str:
    """``asset 'x': check 'min_rows' failed: 3 rows, at least 10 expected``."""
    text = f"asset '{task}': check '{outcome.name}' failed"
    return f"{text}: {outcome.message}" if outcome.message else text


def warning_lines(task: str, outcomes: Sequence[CheckOutcome]) -> list[str]:
    """What a run prints for each non-blocking check that failed."""
    return [
        "warning: " + failed_line(task, o)
        for o in outcomes
        if not o.blocking and not o.passed
    ]


def _run(check: PlannedCheck, asset: PlannedAsset, attempt: Attempt) -> Found:
    if check.kind == "python":
        return _python(check.argument, asset, attempt)
    if check.kind == "command":
        return _command(check.argument, asset, attempt)
    several = len(asset.paths) > 1
    found: list[Found] = []
    for output in asset.paths:
        staged = attempt.full(attempt.staged(output))
        one = _built_in(check, output, staged, asset.root)
        if several:  # say which output each finding is about
            one = (one[0], f"'{output}': {one[1]}", one[2])
        if not one[0]:
            return one
        found.append(one)
    messages = [f[1] for f in found if f[1]]
    metadata: dict[str, Any] = {}
    for f in found:
        metadata.update(f[2])
    return True, "; ".join(messages), metadata if not several else {}


def _built_in(check: PlannedCheck, output: str, staged: str, root: str) -> Found:
    kind = check.kind
    if kind == "non_empty":
        return _non_empty(output, staged)
    if kind == "json_schema":
        return _json_schema(staged, os.path.join(root, check.argument))
    if kind == "columns":
        return _columns(staged, tuple(check.argument), _delimiter(output))
    rows = count_rows(staged, output)
    metadata = {"rows": rows}
    noun = "row" if rows == 1 else "rows"
    if kind == "min_rows" and rows < check.argument:
        return False, f"{rows} {noun}, at least {check.argument} expected", metadata
    if kind == "max_rows" and rows > check.argument:
        return False, f"{rows} {noun}, at most {check.argument} expected", metadata
    return True, f"{rows} {noun}", metadata


def _non_empty(output: str, staged: str) -> Found:
    if is_directory(output):
        files = sum(len(names) for _, _, names in os.walk(staged))
        if not files:
            return False, f"'{output}' has no files", {"files": 0}
        return True, f"{files} file{'' if files == 1 else 's'}", {"files": files}
    size = os.path.getsize(staged)
    if not size:
        return False, f"'{output}' is empty", {"bytes": 0}
    return True, f"{size} byte{'' if size == 1 else 's'}", {"bytes": size}


def _delimiter(output: str) -> str:
    return "\t" if output.lower().endswith(".tsv") else ","


def count_rows(path: str, name: str) -> int:
    """Rows after the header of a CSV or TSV file; lines that are not blank of
    any other (JSON lines, text)."""
    # utf-8-sig: a byte order mark (as spreadsheets write) is not part of a row;
    # a byte that is not UTF-8 (a Latin-1 export) does not change the count
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as f:
        if os.path.splitext(name)[1].lower() in HEADER_EXTENSIONS:
            rows = sum(1 for r in csv.reader(f, delimiter=_delimiter(name)) if r)
            return max(rows - 1, 0)
        return sum(1 for line in f if line.strip())


def _columns(path: str, wanted: tuple[str, ...], delimiter: str) -> Found:
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as f:
        header = next((r for r in csv.reader(f, delimiter=delimiter) if r), None)
    if header is None:
        return False, "no header line", {}
    header = [h.strip() for h in header]
    missing = [c for c in wanted if c not in header]
    metadata = {"columns": header}
    if missing:
        names = ", ".join(f"'{c}'" for c in missing)
        noun = "column" if len(missing) == 1 else "columns"
        return False, f"missing {noun} {names}", metadata
    return True, f"{len(header)} columns", metadata


def _json_schema(path: str, schema_path: str) -> Found:
    try:  # an optional dependency (the 'checks' extra), typed or not
        jsonschema: Any = importlib.import_module("jsonschema")
    except ImportError:
        return False, f"needs the jsonschema package: {INSTALL_HINT}", {}
    shown = os.path.relpath(schema_path)
    if not os.path.isfile(schema_path):
        return False, f"schema '{shown}' does not exist", {}
    with open(schema_path, encoding="utf-8") as f:
        try:
            schema = json.load(f)
        except ValueError as err:
            return False, f"schema '{shown}' is not JSON: {err}", {}
    validator_class = jsonschema.validators.validator_for(schema)
    try:
        validator_class.check_schema(schema)
    except jsonschema.SchemaError as err:
        return False, f"schema '{shown}' is not a JSON schema: {err.message}", {}
    validator = validator_class(schema)
    with open(path, encoding="utf-8") as f:
        if path.lower().endswith((".jsonl", ".ndjson")):
            documents = [
                (number, line) for number, line in enumerate(f, 1) if line.strip()
            ]
        else:
            documents = [(0, f.read())]
    for number, text in documents:
        where = f"line {number}: " if number else ""
        try:
            document = json.loads(text)
        except ValueError as err:
            return False, f"{where}not JSON: {err}", {}
        error = jsonschema.exceptions.best_match(validator.iter_errors(document))
        if error is not None:
            at = "/".join(str(p) for p in error.absolute_path)
            place = f"at '{at}': " if at else ""
            return False, f"{where}{place}{error.message}", {}
    count = len(documents)
    if documents and documents[0][0]:
        return True, f"{count} line{'' if count == 1 else 's'} valid", {"rows": count}
    return True, "valid", {}


def _command(command: str, asset: PlannedAsset, attempt: Attempt) -> Found:
    from .execute import rendered, run_command  # execute runs the checks

    output = io.StringIO()
    code = run_command(
        rendered(command, asset.paths, attempt),
        asset.root,
        started=attempt.started,
        output=output,
        env={**os.environ, **dict(asset.env)} if asset.env else None,
    )
    text = output.getvalue().strip()
    if code == 0:
        return True, text, {}
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return False, text or f"killed by {name}", {"exit_code": code}
    return False, text or f"exited with code {code}", {"exit_code": code}


def _python(call: PythonCall, asset: PlannedAsset, attempt: Attempt) -> Found:
    """Call the check with the staged output: its Path (a tuple of them for
    several), or a value asset's value."""
    staged = [asset.prefix + attempt.staged(p) for p in asset.paths]
    argument: Any
    if call.store is not None:
        from ..model.values import STORES

        argument = STORES[call.store].load(
            Path(attempt.full(attempt.staged(asset.paths[0])))
        )
    elif len(staged) == 1:
        argument = Path(staged[0])
    else:
        argument = tuple(Path(p) for p in staged)
    result = call.fn(argument)
    if isinstance(result, CheckResult):
        if not isinstance(result.metadata, Mapping):
            raise TypeError("CheckResult metadata must be a dict")
        return bool(result.passed), str(result.message or ""), result.metadata
    if isinstance(result, bool):
        return result, "", {}
    return (
        False,
        f"returned {type(result).__name__}, not a CheckResult or a bool",
        {},
    )


def _plain(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """Metadata as JSON keeps it: it travels to doit's process and the history.
    What JSON has no value for is kept as its text: a set, a date, and NaN or
    an infinity (Python's json would write them, and every --json output and
    the graph page would then be no JSON)."""
    plain: dict[str, Any] = json.loads(
        json.dumps(_finite(dict(metadata)), default=str, allow_nan=False)
    )
    return plain


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _error(err: Exception) -> str:
    return f"raised {type(err).__name__}: {err}"


def _kept(message: str) -> str:
    if len(message) <= MESSAGE_KEPT:
        return message
    return message[:MESSAGE_KEPT] + "…"
