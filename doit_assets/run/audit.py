"""``doit assets audit``: what a transform reads and writes without declaring it.

Each selected asset's transform is rehearsed (execute.rehearse: into staging,
its outputs in place never replaced) under strace (trace.py), and what it
touched is compared with what it declares. A shell transform's command is
wrapped; a Python asset's function runs in a child Python (rehearsal.py) that
loads the project and rehearses that one asset, traced only while the
function runs, with the modules it imports left out.

A finding is one of: a project file read but not declared (``inputs``),
another asset's output read without depending on it (``depends_on``), a file
outside the project that is not a system file (``audit_ignore``), a file
written outside the asset's outputs. Each carries the line to add, but for
a cycle, a write into another asset's output and a file every partition
writes, which no line can declare.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from ..model.spec import AssetKey
from ..plan.environment import names_of
from ..plan.plan import Plan
from ..plan.records import PlannedAsset
from .execute import Failure, job_of, rehearse
from .trace import (
    Ignored,
    Trace,
    clock_ns,
    ignored_paths,
    read_trace,
    strace_argv,
    traced_command,
    under,
    written_path,
)

_UNTRACED = (
    "strace could not trace the command (its message is above); is ptrace allowed here?"
)
FindingKind = Literal["input", "depends_on", "cycle", "outside", "write"]
Language = Literal["shell", "python"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One undeclared read or write, and the line that declares it."""

    kind: FindingKind
    path: str  # relative to the project inside it, absolute outside
    add: str  # the line to add (to the asset's declaration, or [settings]); "": none
    upstream: str | None = None  # the asset that makes it (depends_on, cycle)
    python: bool = False  # of a Python asset: its outputs are parameters

    def sentence(self) -> str:
        if self.kind == "input":
            return (
                f"reads '{self.path}', which it does not declare. "
                f"Add to its declaration: {self.add}"
            )
        if self.kind == "depends_on":
            return (
                f"reads '{self.path}', an output of '{self.upstream}', without "
                f"depending on it. Add to its declaration: {self.add}"
            )
        if self.kind == "cycle":
            return (
                f"reads '{self.path}', an output of '{self.upstream}', which "
                f"depends on it: depending on '{self.upstream}' would make a "
                f"cycle. Make it from what '{self.upstream}' is made of instead"
            )
        if self.kind == "outside":
            return (
                f"reads '{self.path}', outside the project. Copy it into the "
                f"project and declare it in 'inputs', or add to [settings]: {self.add}"
            )
        if self.path.startswith(os.sep):
            return (
                f"writes '{self.path}', outside the project. Write it into an "
                f"output instead, or add to [settings]: {self.add}"
            )
        where = (
            "to the path in its 'output' parameter"
            if self.python
            else "where {self.paths} says"
        )
        if self.upstream is not None:
            return (
                f"writes '{self.path}', an output of '{self.upstream}': only "
                f"'{self.upstream}' may write it. Write its own outputs instead, "
                f"{where}"
            )
        if not self.add:
            return (
                f"writes '{self.path}' outside its outputs, a file whose name "
                "does not hold its partition: no line in 'path' can declare it "
                "for every partition. Write its own outputs instead, "
                f"{where}"
            )
        return (
            f"writes '{self.path}' outside its outputs. Declare it an output "
            f"(and write it {where}): {self.add}"
        )


@dataclass(frozen=True, slots=True)
class AssetAudit:
    """What the audit of one asset (one partition) found."""

    task: str
    location: str | None
    language: Language
    findings: tuple[Finding, ...] = ()
    failure: str | None = None  # it could not be audited: why

    @property
    def clean(self) -> bool:
        return not self.findings and self.failure is None

    def lines(self) -> list[str]:
        where = f"{self.location}: " if self.location else ""
        head = f"{where}asset '{self.task}': "
        if self.failure is not None:
            return [f"{head}not audited: {self.failure}"]
        return [head + f.sentence() for f in self.findings]

    def as_json(self) -> dict[str, object]:
        return {
            "asset": self.task,
            "location": self.location,
            "transform": self.language,
            "clean": self.clean,
            "failure": self.failure,
            "findings": [
                {
                    "kind": f.kind,
                    "path": f.path,
                    "upstream": f.upstream,
                    "add": f.add or None,
                    "message": (f"{self.location}: " if self.location else "")
                    + f"asset '{self.task}': {f.sentence()}",
                }
                for f in self.findings
            ],
        }


def audit_asset(
    plan: Plan,
    asset: PlannedAsset,
    assets_file: str,
    dodo: str | None,
    owners: Owners | None = None,
) -> AssetAudit:
    """Rehearse ``asset`` under strace and say what it did not declare;
    ``owners``: ``owners_of(plan)``, made once for many assets."""
    settings = plan.settings
    ignored = ignored_paths(asset.root, names_of(settings, "audit_ignore"))
    language: Language = "shell" if asset.call is None else "python"
    with tempfile.TemporaryDirectory(prefix="doit-assets-audit.") as tmp:
        log = os.path.join(tmp, "strace.log")
        if asset.call is None:
            done, skipped = _rehearse_shell(plan, asset, log), frozenset[str]()
        else:
            done, skipped = _rehearse_python(asset, assets_file, dodo, tmp, log)
        if isinstance(done, Failure):
            return AssetAudit(
                asset.task, asset.location, language, failure=done.message
            )
        findings = classify(plan, asset, done, ignored, skipped, owners)
    return AssetAudit(asset.task, asset.location, language, tuple(findings))


def _rehearse_shell(plan: Plan, asset: PlannedAsset, log: str) -> Trace | Failure:
    start: list[int] = []

    def wrap(command: str) -> str:
        start.append(clock_ns(log))  # just before the command starts
        return traced_command(command, log)

    # what the transform prints goes to stderr: stdout may be --json
    with contextlib.redirect_stdout(sys.stderr):
        done = rehearse(job_of(plan, asset), lambda attempt: None, wrap)
    if isinstance(done, Failure):
        if not os.path.exists(log) or not os.path.getsize(log):
            return Failure(_UNTRACED)  # strace itself failed: not the transform
        return done
    trace = read_trace(log, asset.root)
    return replace(trace, writes=trace.changed(start[0]))


def _rehearse_python(
    asset: PlannedAsset, assets_file: str, dodo: str | None, tmp: str, log: str
) -> tuple[Trace | Failure, frozenset[str]]:
    """The function rehearsed in a child Python under strace: the child
    opens ``begin`` just before and ``end`` just after, so that loading the
    project is not traced; it reports its failure and the module files it
    loaded (imports, not data) in ``result``."""
    begin, end, result = (os.path.join(tmp, n) for n in ("begin", "end", "result"))
    for marker in (begin, end):
        with open(marker, "w", encoding="utf-8"):
            pass
    argv = [
        *strace_argv(log),
        "--",
        sys.executable,
        "-m",
        "doit_assets.run.rehearsal",
        asset.task,
        assets_file,
        dodo or "",
        begin,
        end,
        result,
    ]
    start = clock_ns(log)
    sys.stderr.flush()
    subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=sys.stderr, check=False)
    try:
        with open(result, encoding="utf-8") as f:
            reported = json.load(f)
    except (OSError, ValueError):
        if not os.path.exists(log) or not os.path.getsize(log):
            return Failure(_UNTRACED), frozenset()
        problem = "the Python that rehearsed it did not report (see above)"
        return Failure(problem), frozenset()
    if reported["failure"] is not None:
        return Failure(str(reported["failure"])), frozenset()
    trace = read_trace(log, os.getcwd(), (begin, end))
    trace = replace(trace, writes=trace.changed(start))
    modules = frozenset(os.path.realpath(m) for m in reported["modules"])
    return trace, modules


def classify(
    plan: Plan,
    asset: PlannedAsset,
    trace: Trace,
    ignored: Ignored,
    skipped: Iterable[str] = (),
    owners: Owners | None = None,
) -> list[Finding]:
    """The findings of one traced rehearsal, each kind's line once, listing
    everything of that kind (what is declared already, and what is new)."""
    root = os.path.realpath(asset.root)
    owners = owners or owners_of(plan)
    declared = _declared(plan, asset)
    upstream = set(plan.deps(asset.key)) | {asset.key}
    skip = set(skipped)
    inputs: list[str] = []
    deps: dict[str, str] = {}  # upstream asset -> the first file of it read
    cycles: dict[str, str] = {}  # the same, of an asset that depends on it
    outside: list[str] = []
    for path in sorted({os.path.realpath(p) for p in trace.reads} - skip):
        if _covered(path, declared):
            continue
        owner = _owner(path, owners)
        if owner is not None:
            if owner in upstream:
                continue
            if asset.key in plan.upstream_of(owner):
                cycles.setdefault(owner, path)
            else:
                deps.setdefault(owner, path)
        elif path in ignored:
            continue
        elif under(path, root):
            inputs.append(os.path.relpath(path, root))
        else:
            outside.append(path)
    own = _covered_by(asset, root)
    writes = [
        p
        for p in sorted({written_path(p) for p in trace.writes})
        if p not in ignored and not _covered(p, own)
    ]
    python = bool(asset.location and asset.location.split(":")[0].endswith(".py"))
    findings: list[Finding] = []
    if inputs:
        declared_inputs = list(plan.on_disk.patterns.get(AssetKey(asset.key), ()))
        line = _line("inputs", declared_inputs + inputs, python)
        findings += [Finding("input", p, line) for p in inputs]
    if deps:
        line = _line("depends_on", [*plan.deps(asset.key), *deps], python)
        for owner, path in deps.items():
            shown = os.path.relpath(path, root)
            findings.append(Finding("depends_on", shown, line, owner))
    for owner, path in cycles.items():
        findings.append(Finding("cycle", os.path.relpath(path, root), "", owner))
    if outside:
        line = _line(
            "audit_ignore", [*names_of(plan.settings, "audit_ignore"), *outside]
        )
        findings += [Finding("outside", p, line) for p in outside]
    inside = [p for p in writes if under(p, root)]
    findings += _inside_writes(plan, asset, inside, owners, python)
    far = [p for p in writes if not under(p, root)]
    if far:
        line = _line("audit_ignore", [*names_of(plan.settings, "audit_ignore"), *far])
        findings += [Finding("write", p, line) for p in far]
    return findings


def _inside_writes(
    plan: Plan,
    asset: PlannedAsset,
    writes: Sequence[str],
    owners: Owners,
    python: bool,
) -> list[Finding]:
    """A write into the project: another asset's output (no line: only that
    asset may write it), or a file to declare in 'path'. A partition's line
    has the file's name with its partition key as ``{partition}``; a file
    whose name does not hold the key exactly once gets none, since it would
    be the same file for every partition."""
    root = os.path.realpath(asset.root)
    group = plan.groups.get(asset.key)  # a partition: the declared templates
    declared = list(group.paths if group is not None else asset.paths)
    findings: list[Finding] = []
    new: list[tuple[str, str]] = []  # the file, and what to declare for it
    for path in writes:
        shown = os.path.relpath(path, root)
        owner = _owner(path, owners)
        if owner is not None:
            findings.append(Finding("write", shown, "", owner, python))
        elif group is None:
            new.append((shown, shown))
        elif asset.partition and shown.count(asset.partition) == 1:
            new.append((shown, shown.replace(asset.partition, "{partition}")))
        else:
            findings.append(Finding("write", shown, "", None, python))
    if new:
        line = _line("path", [*declared, *(t for _, t in new)], python)
        findings += [Finding("write", p, line, python=python) for p, _ in new]
    return findings


def merged(audits: Sequence[AssetAudit]) -> list[AssetAudit]:
    """The audits, each proposed line listing what every audit found for the
    same declaration: the partitions of one asset share theirs, and every
    asset shares [settings] (``audit_ignore``)."""
    found: dict[tuple[str, str], dict[str, None]] = {}
    for audit in audits:
        for f in audit.findings:
            if f.add:
                head, values = _split(f.add)
                found.setdefault(_declaration(audit, head), {}).update(values)
    return [
        replace(
            audit, findings=tuple(_relisted(audit, f, found) for f in audit.findings)
        )
        for audit in audits
    ]


def _relisted(
    audit: AssetAudit, finding: Finding, found: dict[tuple[str, str], dict[str, None]]
) -> Finding:
    if not finding.add:
        return finding
    head = _split(finding.add)[0]
    values = found[_declaration(audit, head)]
    return replace(finding, add=head + ", ".join(json.dumps(v) for v in values) + "]")


def _split(line: str) -> tuple[str, dict[str, None]]:
    """``key = [`` and the values of a line made by ``_line``."""
    start = line.index("[")
    return line[: start + 1], dict.fromkeys(json.loads(line[start:]))


def _declaration(audit: AssetAudit, head: str) -> tuple[str, str]:
    if head.startswith("audit_ignore"):
        return "[settings]", head
    return audit.location or audit.task, head


def _line(key: str, values: Sequence[str], python: bool = False) -> str:
    listed = ", ".join(json.dumps(v) for v in dict.fromkeys(values))
    return f"{key}=[{listed}]" if python else f"{key} = [{listed}]"


Paths = tuple[frozenset[str], tuple[str, ...]]  # files, and folders (their prefixes)
# every planned output -> the asset that makes it; folders as prefixes
Owners = tuple[dict[str, str], list[tuple[str, str]]]


def _paths(files: Iterable[str]) -> Paths:
    found, folders = set(), []
    for path in files:
        full = os.path.realpath(path)
        if path.endswith("/"):
            folders.append(full)
        else:
            found.add(full)
    return frozenset(found), tuple(folders)


def _covered(path: str, paths: Paths) -> bool:
    files, folders = paths
    return path in files or any(under(path, f) for f in folders)


def _declared(plan: Plan, asset: PlannedAsset) -> Paths:
    """Its inputs (files found, and folders declared), its upstream files and
    folders (as doit sees them, from here), and its own outputs."""
    root = asset.root
    patterns = plan.on_disk.patterns.get(AssetKey(asset.key), ())
    named = [os.path.join(root, p) for p in plan.inputs(asset)]
    named += [os.path.join(root, p) for p in patterns if p.endswith("/")]
    named += [os.path.abspath(p) for p in asset.file_dep]
    named += [os.path.abspath(p.rstrip("/")) + "/" for p in asset.dir_inputs]
    files, folders = _paths(named)
    own_files, own_folders = _covered_by(asset, os.path.realpath(root))
    return files | own_files, folders + own_folders


def _covered_by(asset: PlannedAsset, root: str) -> Paths:
    return _paths(os.path.join(root, p) for p in asset.paths)


def owners_of(plan: Plan) -> Owners:
    """Every planned output -> the asset that makes it (a source asset's
    files too: they are assets); folders as prefixes."""
    files: dict[str, str] = {}
    folders: list[tuple[str, str]] = []
    for planned in plan.assets:
        for path in planned.paths:
            full = os.path.realpath(os.path.join(planned.root, path))
            if path.endswith("/"):
                folders.append((full, planned.key))
            else:
                files[full] = planned.key
    return files, folders


def _owner(path: str, owners: Owners) -> str | None:
    files, folders = owners
    if path in files:
        return files[path]
    return next((key for folder, key in folders if under(path, folder)), None)
