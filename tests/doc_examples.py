"""Run the ```console blocks of the docs, and compare with what they show.

The convention (CONTRIBUTING.md, "Examples in the docs"): every ```console block
of README.md and docs/*.md is run, each ``$ COMMAND`` line in bash in a real
project, and its output must be the lines under it; or the block carries
``<!-- no-run: REASON -->``. HTML comments before a block say where and how:

- ``<!-- project: NAME -->``: the blocks after it run in a new folder, a copy of
  ``NAME`` (see ``PROJECTS``), one after another (a story). With ``, new for
  each block``, every console block gets a folder of its own. With ``shown as
  PATH``, the folder's real path reads as ``PATH`` in outputs.
- ``<!-- needs: PROGRAM -->``: the blocks of this project call ``PROGRAM``
  (``sqlite3``, Graphviz's ``dot``); where it is not installed they are
  skipped, as the tests that need chromium or Graphviz are.
- ``<!-- setup: COMMANDS -->``: shell commands run before the next block, not
  shown (an edit the text describes, a state to start from). ``$REPO`` is the
  root of this repository.
- ``<!-- file: PATH -->`` or ``<!-- append: PATH -->`` before any fenced block
  writes (appends) its text to the file; so does a line `` `PATH`: `` (or
  `` `PATH` (a note): ``) right before a block that is not a console block.
  ``<!-- file: PATH, in each new folder -->`` writes it in every folder the
  project gets from then on.
- ``<!-- mask: NAME ... -->``: parts of the output that vary, for the next
  block, with runs of spaces compared as one (columns widen with them):
  ``age`` (``0s``, ``15m55s``), ``md5`` (12 or 32 hex digits). Masked in
  every block: times ``2026-11-25 19:32:24``, durations ``0.05s``, ``(5s ago)``.
  ``rest``: the doc shows the first lines of the output only. In any block, a
  line ``...`` stands for any number of lines (a traceback's frames).

The commands run with ``PYTHONHASHSEED=0``: doit lists a task's ``file_dep``,
a set, in an order that changes from one run to the next otherwise.

Nothing here imports doit-assets: the commands run as a user runs them.
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from doc_zygote import stop_zygote, zygote_bin

REPO = Path(__file__).resolve().parent.parent
PAGES = [
    "README.md",
    "CONTRIBUTING.md",
    *sorted(p.relative_to(REPO).as_posix() for p in (REPO / "docs").glob("*.md")),
]

# What a project can start as: these, an example of examples/, or a folder of
# tests/doc_projects/. Folders are copied without any state.
PROJECTS: dict[str, list[tuple[str, str]]] = {
    "empty": [],
    # the folder of docs/errors.md: the one-line dodo.py and a source file
    "assets": [
        ("dodo.py", "from doit_assets.dodo import *\n"),
        (
            "data/orders.csv",
            "order_id,date,customer,amount\n1001,2024-03-01,acme,120.00\n",
        ),
    ],
}
EXAMPLES = REPO / "examples"
DOC_PROJECTS = REPO / "tests" / "doc_projects"

ALWAYS_MASKED = [
    ("<time>", re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")),
    ("<took>", re.compile(r"(?<![\w.])\d+\.\d+s\b")),
    ("(<age> ago)", re.compile(r"\((?:\d+[wdhms])+ ago\)")),
]
MASKS = {
    "age": re.compile(r"(?<![\w./:-])(?:\d+[wdhms]){1,2}(?![\w./:-])"),
    "md5": re.compile(r"(?<![0-9a-f])(?:[0-9a-f]{32}|[0-9a-f]{12})(?![0-9a-f])"),
}
DIRECTIVE = re.compile(
    r"<!--\s*(no-run|project|needs|setup|mask|file|append):\s*(.*?)\s*-->", re.S
)
FENCE = re.compile(r"^(\s*)(`{3,})(\S*)\s*$")
LABEL = re.compile(r"^`([^`\s]+)`(?: \([^)]*\))?:$")
TIMEOUT = 120


@dataclass
class Command:
    line: int  # where the command is, for messages
    text: str
    expected: str


@dataclass
class Block:
    page: str
    line: int
    setup: list[str] = field(default_factory=list)
    masks: list[str] = field(default_factory=list)
    commands: list[Command] = field(default_factory=list)


@dataclass
class WriteFile:
    path: str
    text: str
    append: bool


@dataclass
class Session:
    """Blocks that run one after another in one folder."""

    page: str
    line: int
    project: str
    shown_as: str | None
    needs: list[str] = field(default_factory=list)
    steps: list[Block | WriteFile] = field(default_factory=list)

    @property
    def blocks(self) -> list[Block]:
        return [s for s in self.steps if isinstance(s, Block)]


@dataclass
class Page:
    sessions: list[Session]
    problems: list[str]  # blocks that can be neither run nor skipped
    skipped: int


def parse_page(page: str, text: str) -> Page:
    """The sessions of one page, in order, and what is wrong with its markers."""
    lines = text.splitlines()
    sessions: list[Session] = []
    problems: list[str] = []
    skipped = 0
    pending: list[tuple[str, str]] = []  # directives for the next block
    project: Project | None = None
    current: Session | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.lstrip().startswith("<!--"):
            end = i
            while "-->" not in lines[end]:
                end += 1
            comment = "\n".join(lines[i : end + 1])
            for kind, value in DIRECTIVE.findall(comment):
                if kind == "project":
                    project = _project(value)
                    current = None
                elif kind == "needs" and project is not None:
                    project.needs.extend(value.split())
                else:
                    pending.append((kind, value))
            i = end + 1
            continue
        fence = FENCE.match(line)
        if not fence:
            i += 1
            continue
        indent, ticks, language = fence.groups()
        end = i + 1
        while end < len(lines) and not re.match(rf"^\s*{ticks}`*\s*$", lines[end]):
            end += 1
        body = [_dedent(text_line, len(indent)) for text_line in lines[i + 1 : end]]
        label = _label(lines, i)
        directives, pending = pending, []
        kinds = dict(directives)
        if language != "console":
            # a setup before a file is for the console block that uses it
            pending = [(k, v) for k, v in directives if k in ("setup", "mask")]
            target = kinds.get("file") or kinds.get("append") or label
            if target is not None:
                target, _, shared = target.partition(",")
                write = WriteFile(target, "\n".join(body) + "\n", "append" in kinds)
                if project is None:
                    problems.append(
                        f"{page}:{i + 1}: a file before any <!-- project: -->"
                    )
                elif "in each new folder" in shared:
                    project.files.append(write)
                else:
                    if current is None:
                        current = _session(page, i + 1, project)
                        sessions.append(current)
                    current.steps.append(write)
        elif "no-run" in kinds:
            skipped += 1
        else:
            block = Block(page, i + 1)
            for kind, value in directives:
                if kind == "setup":
                    block.setup.append(value)
                elif kind == "mask":
                    block.masks.extend(value.split())
            unknown = [m for m in block.masks if m not in MASKS and m != "rest"]
            block.commands = _commands(body, i + 2)
            if unknown:
                problems.append(f"{page}:{i + 1}: unknown mask {', '.join(unknown)}")
            elif not block.commands:
                problems.append(
                    f"{page}:{i + 1}: a console block without a '$ ' command: "
                    "give it one, or mark it <!-- no-run: REASON -->"
                )
            elif project is None:
                problems.append(
                    f"{page}:{i + 1}: a console block before any <!-- project: NAME -->: "
                    "say where it runs, or mark it <!-- no-run: REASON -->"
                )
            else:
                if current is None:
                    current = _session(page, i + 1, project)
                    sessions.append(current)
                current.steps.append(block)
                if project.fresh:  # a new folder for each block
                    current = None
        i = end + 1
    return Page(sessions, problems, skipped)


@dataclass
class Project:
    """What a ``<!-- project: -->`` says, for the sessions that follow it."""

    name: str
    shown_as: str | None
    fresh: bool  # a new folder for each block
    needs: list[str] = field(default_factory=list)
    files: list[WriteFile] = field(default_factory=list)  # in each new folder


def _project(value: str) -> Project:
    """``NAME[ shown as PATH][, new for each block]``"""
    name, _, rest = value.partition(",")
    name, _, shown = name.strip().partition(" shown as ")
    return Project(name.strip(), shown.strip() or None, "new for each block" in rest)


def _session(page: str, line: int, project: Project) -> Session:
    session = Session(page, line, project.name, project.shown_as, project.needs)
    session.steps.extend(project.files)
    return session


def _dedent(line: str, indent: int) -> str:
    return line[indent:] if line[:indent].strip() == "" else line.lstrip()


def _label(lines: list[str], fence: int) -> str | None:
    for line in reversed(lines[:fence]):
        if line.strip() and not line.lstrip().startswith("<!--"):
            match = LABEL.match(line.strip())
            return match[1] if match else None
    return None


def _commands(body: list[str], first_line: int) -> list[Command]:
    commands: list[Command] = []
    text: list[str] = []
    for n, line in enumerate(body):
        if line.startswith("$ "):
            commands.append(Command(first_line + n, line[2:], ""))
            text = []
            continue
        if not commands:
            return []  # output before any command: not a transcript
        if (
            text == []
            and commands[-1].text.endswith("\\")
            and not commands[-1].expected
        ):
            commands[-1].text += "\n" + line  # a command continued on the next line
            continue
        commands[-1].expected += line + "\n"
    return commands


# -- running ---------------------------------------------------------------------


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOIT_ASSETS_")}
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env["PYTHONUNBUFFERED"] = "1"  # doit's and the transforms' lines in order
    env["PYTHONHASHSEED"] = "0"  # doit prints sets (file_dep) in hash order
    env["REPO"] = str(REPO)
    env.pop("VIRTUAL_ENV", None)
    fast = zygote_bin(env)  # doit and doit-assets, forked from a warm process
    if fast is not None:
        env["PATH"] = fast + os.pathsep + env["PATH"]
    return env


def make_project(name: str, root: Path) -> None:
    root.mkdir(parents=True)
    if name in PROJECTS:
        for rel, text in PROJECTS[name]:
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        return
    source = EXAMPLES / name
    if not source.is_dir():
        source = DOC_PROJECTS / name
    if not source.is_dir():
        raise ValueError(
            f"unknown project {name!r}: not in PROJECTS, examples/ or tests/doc_projects/"
        )
    shutil.copytree(
        source, root, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".doit-assets*")
    )


def run_session(
    session: Session,
    folder: Path,
    found: list[tuple[Command, str, list[str]]] | None = None,
) -> list[str]:
    """Run every block of the session in a new project in ``folder`` (named
    as the project, which the title of a graph shows); the differences found (and,
    in ``found``, each command that differs with its output and masks).
    A session that needs a program that is not installed is not run: it
    returns ``["skip: ..."]``."""
    missing = [program for program in session.needs if shutil.which(program) is None]
    if missing:
        return [f"skip: {session.page}:{session.line} needs {', '.join(missing)}"]
    root = folder / session.project
    try:
        make_project(session.project, root)
    except ValueError as err:
        return [f"{session.page}:{session.line}: {err}"]
    env = environment()
    cwd = str(root)
    failures: list[str] = []
    for step in session.steps:
        if isinstance(step, WriteFile):
            path = Path(cwd) / step.path
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "a" if step.append else "w", encoding="utf-8") as f:
                f.write(step.text)
            continue
        results, cwd = _run_block(step, cwd, env)
        if results is None:
            failures.append(f"{step.page}:{step.line}: a setup command failed:\n{cwd}")
            return failures  # what follows depends on it
        for command, output in zip(step.commands, results, strict=True):
            output = _as_shown(output, root, session.shown_as)
            difference = compare(command.expected, output, step.masks)
            if difference:
                if found is not None:
                    found.append((command, output, step.masks))
                failures.append(
                    f"{step.page}:{command.line}: $ {command.text}\n{difference}"
                )
    return failures


def _run_block(
    block: Block, cwd: str, env: dict[str, str]
) -> tuple[list[str] | None, str]:
    """Each command's output (stdout and stderr, as a terminal shows them),
    and the folder the block ends in; (None, output) when a setup command failed."""
    mark = f"@@{uuid.uuid4().hex}@@"
    script = [f"cd {_quote(cwd)}"]
    for setup in block.setup:
        script.append(
            f"{{ {setup}\n}} || {{ printf '\\nsetup failed: %s\\n' {_quote(setup)}; exit 97; }}"
        )
    script.append(f"printf '%s\\n' {mark}")
    for command in block.commands:
        script.append(f"{{ {command.text}\n}} 2>&1")
        script.append(f"__status=$?; printf '\\n%s\\n' {mark}; (exit $__status)")
    script.append("pwd")
    proc = subprocess.run(
        ["bash", "-c", "\n".join(script)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        timeout=TIMEOUT,
        check=False,
    )
    out = proc.stdout.decode("utf-8", "replace")
    if proc.returncode == 97 or mark not in out:
        return None, out
    parts = out.split(mark + "\n")
    outputs = [p.removesuffix("\n") for p in parts[1:-1]]
    return outputs, parts[-1].strip() or cwd


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def _as_shown(output: str, root: Path, shown_as: str | None) -> str:
    if shown_as is None:
        return output
    real = str(root)
    output = output.replace(real, shown_as)
    return output.replace(os.path.realpath(real), shown_as)


def mask(text: str, masks: list[str]) -> str:
    for placeholder, pattern in ALWAYS_MASKED:
        text = pattern.sub(placeholder, text)
    varying = [name for name in masks if name in MASKS]
    for name in varying:
        text = MASKS[name].sub(f"<{name}>", text)
    lines = [line.rstrip() for line in text.splitlines()]
    if varying:
        lines = [re.sub(r" {2,}", " ", line) for line in lines]
    return "\n".join(lines)


def _elided(want: str, got: str) -> bool:
    """Whether ``got`` is ``want``, where a line ``...`` stands for any lines."""
    lines = want.split("\n")
    if not any(line.strip() == "..." for line in lines):
        return False
    pattern = "".join(
        r"(?:[^\n]*\n)*?" if line.strip() == "..." else re.escape(line) + r"\n"
        for line in lines
    )
    return re.fullmatch(pattern, got + "\n") is not None


def compare(expected: str, output: str, masks: list[str]) -> str:
    """'' when the output is the one shown, else a diff."""
    want, got = mask(expected, masks), mask(output, masks)
    if "rest" in masks:
        got = "\n".join(got.split("\n")[: len(want.split("\n"))])
    if want == got or _elided(want, got):
        return ""
    diff = difflib.unified_diff(
        want.splitlines(),
        got.splitlines(),
        "the doc shows",
        "the command printed",
        lineterm="",
    )
    return "\n".join(diff)


def pages() -> Iterator[tuple[str, Page]]:
    for page in PAGES:
        yield page, parse_page(page, (REPO / page).read_text(encoding="utf-8"))


def main(argv: list[str]) -> int:
    """``python tests/doc_examples.py [--update] [PAGE ...]``: run the pages'
    examples and print what differs (the test does the same for every page, on
    every core). ``--update`` writes what the commands printed into the pages,
    keeping the lines that differ only where masked: review it with git diff."""
    import tempfile

    update = "--update" in argv
    failed = 0
    for page in [a for a in argv if a != "--update"] or PAGES:
        parsed = parse_page(page, (REPO / page).read_text(encoding="utf-8"))
        for problem in parsed.problems:
            print(problem, end="\n\n")
            failed += 1
        found: list[tuple[Command, str, list[str]]] = []
        with tempfile.TemporaryDirectory() as tmp:
            for n, session in enumerate(parsed.sessions):
                for failure in run_session(session, Path(tmp) / str(n), found):
                    print(failure, end="\n\n")
                    failed += 1
        if update and found:
            _update(REPO / page, found)
    stop_zygote()
    print(f"{failed} problem(s)")
    return 1 if failed else 0


def _update(path: Path, found: list[tuple[Command, str, list[str]]]) -> None:
    lines = path.read_text(encoding="utf-8").split("\n")
    for command, output, masks in sorted(found, key=lambda f: -f[0].line):
        dollar = command.line - 1 + command.text.count("\n")
        indent = lines[dollar][: len(lines[dollar]) - len(lines[dollar].lstrip())]
        old = command.expected.splitlines()
        new = output.splitlines()
        matcher = difflib.SequenceMatcher(
            None,
            mask(command.expected, masks).split("\n"),
            mask(output, masks).split("\n"),
        )
        merged: list[str] = []
        for tag, a1, a2, b1, b2 in matcher.get_opcodes():
            merged += old[a1:a2] if tag == "equal" else new[b1:b2]
        lines[dollar + 1 : dollar + 1 + len(old)] = [
            (indent + line) if line else line for line in merged
        ]
    path.write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
