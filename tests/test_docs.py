"""The examples in the docs are what the commands print (doc_examples.py)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from doc_examples import PAGES, Page, compare, pages, parse_page, run_session
from doc_zygote import stop_zygote

# every console block of the docs, run through the real doit
pytestmark = pytest.mark.e2e

Results = dict[str, list[str]]


@pytest.fixture(scope="module", autouse=True)
def zygote() -> Iterator[None]:
    """The warm process that runs doit for the examples (doc_zygote.py)."""
    yield
    stop_zygote()


@pytest.fixture(scope="module")
def parsed() -> dict[str, Page]:
    return dict(pages())


@pytest.fixture(scope="module")
def results(
    parsed: dict[str, Page], tmp_path_factory: pytest.TempPathFactory
) -> Results:
    """Every session of every page, run at once on all cores, longest first."""
    base = tmp_path_factory.mktemp("docs")
    jobs = [
        (page, n, session)
        for page, parsed_page in parsed.items()
        for n, session in enumerate(parsed_page.sessions)
    ]
    jobs.sort(key=lambda job: -sum(len(b.commands) for b in job[2].blocks))
    found: Results = {page: [] for page in parsed}

    def run(job: tuple[str, int, object]) -> tuple[str, list[str]]:
        page, n, session = job
        folder = base / page.replace("/", "_").removesuffix(".md") / str(n)
        return page, run_session(session, folder)  # type: ignore[arg-type]

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for page, failures in pool.map(run, jobs):
            found[page].extend(failures)
    found["(time)"] = [f"{time.monotonic() - started:.1f}s"]
    return found


@pytest.mark.parametrize("page", PAGES)
def test_every_console_block_is_run_or_marked(
    parsed: dict[str, Page], page: str
) -> None:
    assert parsed[page].problems == []


@pytest.mark.parametrize("page", PAGES)
def test_doc_examples_print_what_the_docs_show(results: Results, page: str) -> None:
    skipped = [f for f in results[page] if f.startswith("skip: ")]
    failures = sorted(
        (f for f in results[page] if f not in skipped),
        key=lambda f: int(f.split(":")[1]),
    )
    assert not failures, "\n\n".join(failures)
    if skipped:
        pytest.skip("; ".join(s.removeprefix("skip: ") for s in skipped))


# -- the harness itself ------------------------------------------------------------

PAGE = """\
<!-- project: empty -->

`notes.txt`:

```text
one
```

```console
$ cat notes.txt
one
$ echo 'two' >> notes.txt; cat notes.txt
one
two
```

<!-- setup: echo three >> notes.txt -->
```console
$ tail -1 notes.txt
three
$ cd sub 2>/dev/null || mkdir sub && cd sub && pwd
/tmp/shown/sub
$ pwd
/tmp/shown/sub
```
"""


def test_the_harness_runs_a_story_and_compares(tmp_path: Path) -> None:
    page = parse_page("page.md", PAGE.replace("empty", "empty shown as /tmp/shown"))
    assert page.problems == []
    (session,) = page.sessions
    assert run_session(session, tmp_path / "p") == []
    wrong = parse_page("page.md", PAGE.replace("\ntwo\n", "\n2\n"))
    assert run_session(wrong.sessions[0], tmp_path / "q") == [
        "page.md:12: $ echo 'two' >> notes.txt; cat notes.txt\n"
        "--- the doc shows\n+++ the command printed\n@@ -1,2 +1,2 @@\n one\n-2\n+two",
        "page.md:21: $ cd sub 2>/dev/null || mkdir sub && cd sub && pwd\n"
        f"--- the doc shows\n+++ the command printed\n@@ -1 +1 @@\n-/tmp/shown/sub\n+{tmp_path}/q/empty/sub",
        "page.md:23: $ pwd\n"
        f"--- the doc shows\n+++ the command printed\n@@ -1 +1 @@\n-/tmp/shown/sub\n+{tmp_path}/q/empty/sub",
    ]


def test_a_block_that_is_neither_run_nor_marked_is_a_problem() -> None:
    page = parse_page(
        "page.md",
        "```console\n$ doit\n```\n\n<!-- project: empty -->\n\n```console\npip install .\n```\n"
        "\n<!-- no-run: installs a package -->\n```console\npip install .\n```\n",
    )
    assert page.problems == [
        "page.md:1: a console block before any <!-- project: NAME -->: say where it "
        "runs, or mark it <!-- no-run: REASON -->",
        "page.md:7: a console block without a '$ ' command: give it one, or mark it "
        "<!-- no-run: REASON -->",
    ]
    assert page.skipped == 1


def test_masks_hide_only_what_varies() -> None:
    shown = "report  fresh   15m55s  made 2026-11-25 19:32:24 (5s ago) in 0.05s\n"
    now = "report  fresh   0s  made 2027-01-02 03:04:05 (1h2m ago) in 1.25s\n"
    assert compare(shown, now, ["age"]) == ""
    assert compare(shown, now, []) != ""  # the age and the columns differ
    assert compare("md5 1df30037145e\n", "md5 852c956b38f1\n", ["md5"]) == ""
    assert compare("md5 1df30037145e\n", "md5 852c956b38f1\n", []) != ""
    assert compare("3 made\n", "4 made\n", ["age", "md5"]) != ""


SHARED = """\
<!-- project: empty, new for each block -->
<!-- file: notes.txt, in each new folder -->
```text
one
```

```console
$ echo two >> notes.txt; cat notes.txt
one
two
```

```console
$ cat notes.txt; python3 -c 'import sys; sys.exit("a\\nb\\nc")'
one
...
c
```

<!-- project: empty -->
<!-- needs: no-such-program-here -->
```console
$ false
```
"""


def test_files_in_each_new_folder_elided_lines_and_missing_programs(
    tmp_path: Path,
) -> None:
    page = parse_page("page.md", SHARED)
    assert page.problems == []
    first, second, third = page.sessions
    assert run_session(first, tmp_path / "1") == []
    assert run_session(second, tmp_path / "2") == []  # a new folder: one line
    assert run_session(third, tmp_path / "3") == [
        "skip: page.md:22 needs no-such-program-here"
    ]
    wrong = parse_page("page.md", SHARED.replace("...\nc", "...\nd"))
    assert run_session(wrong.sessions[1], tmp_path / "4") != []
