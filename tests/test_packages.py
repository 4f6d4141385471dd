"""Installed distributions in the automatic code version (load/packages.py).

A tiny distribution is installed by hand the way pip lays one out (the
package, and a ``NAME-VERSION.dist-info`` folder with ``METADATA`` and
``RECORD``) into a folder on the import path, where ``importlib.metadata``
sees it as installed; "upgrading" it removes the old one and writes the new.
In this process: what ``imported_distributions`` finds and what the code
version covers. End to end: which Python assets ``doit`` runs again after an
upgrade.
"""

from __future__ import annotations

import contextlib
import importlib
import marshal
import shutil
import sys
import textwrap
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import ModuleType

import pytest
from conftest import Project

from doit_assets.load import packages
from doit_assets.load.codeversion import code_parts, code_version
from doit_assets.load.packages import (
    distributions_stamp,
    imported_distributions,
    python_version,
)
from doit_assets.paths import IMPORTS_CACHE, PACKAGES_CACHE

PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"


def install(
    site: Path,
    name: str,
    version: str,
    modules: Mapping[str, str],
    *,
    top_level: bool = True,
) -> None:
    """Install distribution ``name`` at ``version`` into ``site``, over the
    one there: ``modules`` are its files (``pkg/__init__.py``: text).
    ``top_level``: write ``top_level.txt`` (setuptools does, flit and
    hatchling do not: then importlib.metadata reads the module names from
    ``RECORD``)."""
    site.mkdir(parents=True, exist_ok=True)
    for old in site.glob(f"{name}-*.dist-info"):
        for line in (old / "RECORD").read_text().splitlines():
            with contextlib.suppress(FileNotFoundError):
                (site / line.split(",")[0]).unlink()
        shutil.rmtree(old)
    info = site / f"{name}-{version}.dist-info"
    info.mkdir()
    for rel, text in modules.items():
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_text(text, encoding="utf-8")
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    (info / "METADATA").write_text(metadata, encoding="utf-8")
    (info / "INSTALLER").write_text("hand\n", encoding="utf-8")
    files = [*modules, *(f"{info.name}/{f}" for f in ("METADATA", "INSTALLER"))]
    if top_level:
        tops = sorted({rel.split("/")[0].removesuffix(".py") for rel in modules})
        (info / "top_level.txt").write_text("\n".join(tops) + "\n", encoding="utf-8")
        files.append(f"{info.name}/top_level.txt")
    files.append(f"{info.name}/RECORD")
    (info / "RECORD").write_text("".join(f"{f},,\n" for f in files), encoding="utf-8")


def tiny(site: Path, version: str) -> None:
    """The distribution the assets import: ``tinydist``, package ``tiny``."""
    install(site, "tinydist", version, {"tiny/__init__.py": f'VERSION = "{version}"\n'})


def other(site: Path, version: str) -> None:
    """Another one, without top_level.txt: ``otherdist``, module ``other``."""
    text = f'VERSION = "{version}"\n'
    install(site, "otherdist", version, {"other.py": text}, top_level=False)


def write(folder: Path, files: Mapping[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


@contextlib.contextmanager
def on_path(*folders: Path, modules: tuple[str, ...] = ()) -> Iterator[None]:
    """``folders`` first on sys.path; ``modules`` imported afresh, and what
    this process knows of the installed distributions forgotten."""
    saved = list(sys.path)
    sys.path[:0] = [str(f) for f in folders]
    importlib.invalidate_caches()
    packages.forget()
    try:
        yield
    finally:
        sys.path[:] = saved
        for name in [*modules, "tiny", "other", "ns", "ns.a", "ns.b"]:
            sys.modules.pop(name, None)
        importlib.invalidate_caches()
        packages.forget()


def load(name: str) -> ModuleType:
    sys.modules.pop(name, None)
    importlib.invalidate_caches()
    return importlib.import_module(name)


# -- in this process -------------------------------------------------------------

STEPS = """\
import json
from pathlib import Path

import tiny
import helpers


def made() -> str:
    return json.dumps(tiny.VERSION) + helpers.suffix()


def late() -> str:
    import other

    return other.VERSION


def plain() -> str:
    return helpers.suffix()
"""

# a helper module of the project: it imports nothing installed
HELPERS = """\


def suffix() -> str:
    return os.sep
"""


def test_a_module_level_import_counts_and_stdlib_and_project_modules_do_not(
    tmp_path: Path,
) -> None:
    site, root = tmp_path / "site", tmp_path / "project"
    tiny(site, "1.0")
    other(site, "2.0")
    write(root, {"steps.py": STEPS, "helpers.py": HELPERS})
    with on_path(root, site, modules=("steps", "helpers")):
        steps = load("steps")
        # its module's imports, at any depth: also one inside another function
        both = (("otherdist", "2.0"), ("tinydist", "1.0"))
        assert imported_distributions(steps.made, str(root)) == both
        assert imported_distributions(steps.plain, str(root)) == both


def test_only_the_modules_own_imports_count_not_what_they_import(
    tmp_path: Path,
) -> None:
    site, root = tmp_path / "site", tmp_path / "project"
    install(site, "deepdist", "5.0", {"deep.py": "X = 1\n"})
    install(site, "wrapdist", "1.0", {"wrap.py": "import deep\n\nX = deep.X\n"})
    write(
        root, {"steps.py": "import wrap\n\n\ndef made() -> int:\n    return wrap.X\n"}
    )
    with on_path(root, site, modules=("steps", "wrap", "deep")):
        steps = load("steps")
        assert "deep" in sys.modules
        assert imported_distributions(steps.made, str(root)) == (("wrapdist", "1.0"),)


def test_an_import_inside_a_function_counts_and_a_helper_module_adds_its_own(
    tmp_path: Path,
) -> None:
    site, root = tmp_path / "site", tmp_path / "project"
    tiny(site, "1.0")
    other(site, "2.0")
    files = {
        "steps.py": """\
            from lib import helpers


            def made() -> str:
                import json

                return json.dumps(helpers.version())


            def alone() -> int:
                return 1
            """,
        "lib/__init__.py": "",
        "lib/helpers.py": """\
            def version() -> str:
                from other import VERSION

                return VERSION
            """,
    }
    write(root, files)
    with on_path(root, site, modules=("steps", "lib", "lib.helpers")):
        steps = load("steps")
        assert imported_distributions(steps.made, str(root)) == (("otherdist", "2.0"),)
        # the helper's module is followed only where the helper is used
        assert imported_distributions(steps.alone, str(root)) == ()


def test_an_upgrade_changes_the_code_version_and_an_unrelated_one_does_not(
    tmp_path: Path,
) -> None:
    site, root = tmp_path / "site", tmp_path / "project"
    tiny(site, "1.0")
    other(site, "2.0")
    install(site, "unrelated", "1.0", {"unrelated.py": ""})
    write(root, {"steps.py": STEPS, "helpers.py": HELPERS})

    def parts() -> tuple[str, str]:
        packages.forget()  # a new process
        steps = load("steps")
        found = code_parts(steps.made, str(root))
        assert found.digest == code_version(steps.made, str(root))
        assert found.python == PYTHON
        return found.digest, code_parts(steps.made, str(root), packages=False).digest

    with on_path(root, site, modules=("steps", "helpers")):
        first, code_only = parts()
        install(site, "unrelated", "1.1", {"unrelated.py": ""})
        assert parts() == (first, code_only)
        tiny(site, "1.1")
        upgraded, code_only_after = parts()
        assert upgraded != first
        assert code_only_after == code_only
        assert code_parts(load("steps").made, str(root)).packages == (
            ("otherdist", "2.0"),
            ("tinydist", "1.1"),
        )


def test_without_packages_the_code_version_is_the_codes_alone(
    tmp_path: Path,
) -> None:
    """``track_packages = false``: neither Python nor distributions, and the
    digest is that of the code (what it was before they were tracked)."""
    site, root = tmp_path / "site", tmp_path / "project"
    tiny(site, "1.0")
    write(root, {"steps.py": STEPS, "helpers.py": HELPERS})
    with on_path(root, site, modules=("steps", "helpers")):
        found = code_parts(load("steps").made, str(root), packages=False)
    assert found.python is None
    assert found.packages == ()
    assert found.digest != code_parts(lambda: 1, str(root), packages=False).digest


def test_a_namespace_package_counts_every_distribution_that_provides_it(
    tmp_path: Path,
) -> None:
    site, root = tmp_path / "site", tmp_path / "project"
    install(site, "ns-a", "1.0", {"ns/a.py": "A = 1\n"})
    install(site, "ns-b", "3.0", {"ns/b.py": "B = 2\n"}, top_level=False)
    write(
        root, {"steps.py": "from ns import a\n\n\ndef made() -> int:\n    return a.A\n"}
    )
    with on_path(root, site, modules=("steps",)):
        steps = load("steps")
        assert imported_distributions(steps.made, str(root)) == (
            ("ns-a", "1.0"),
            ("ns-b", "3.0"),
        )


def test_a_project_module_named_like_an_installed_one_is_the_projects(
    tmp_path: Path,
) -> None:
    """A stray distribution that installs a top-level ``utils`` (or the
    project itself, installed in development mode) does not count for the
    project's own ``utils``, imported or not yet."""
    site, root = tmp_path / "site", tmp_path / "project"
    install(site, "stray", "0.1", {"utils.py": "X = 1\n", "later.py": "Y = 1\n"})
    steps = """\
        import utils


        def made() -> int:
            import later

            return utils.X + later.Y
        """
    write(root, {"steps.py": steps, "utils.py": "X = 2\n", "later.py": "Y = 2\n"})
    with on_path(root, site, modules=("steps", "utils", "later")):
        assert imported_distributions(load("steps").made, str(root)) == ()


def test_a_function_of_an_installed_distribution_counts_its_distribution(
    tmp_path: Path,
) -> None:
    site, root = tmp_path / "site", tmp_path / "project"
    install(
        site,
        "tooldist",
        "4.2",
        {"tool/__init__.py": "def run() -> int:\n    return 1\n"},
    )
    root.mkdir()
    with on_path(site, modules=("tool",)):
        assert imported_distributions(load("tool").run, str(root)) == (
            ("tooldist", "4.2"),
        )


def both(tiny_version: str) -> tuple[tuple[str, str], ...]:
    """What STEPS imports (otherdist 2.0, tinydist at this version)."""
    return (("otherdist", "2.0"), ("tinydist", tiny_version))


def test_the_installed_distributions_are_kept_on_disk_bound_to_their_folders(
    tmp_path: Path,
) -> None:
    site, root = tmp_path / "site", tmp_path / "project"
    tiny(site, "1.0")
    other(site, "2.0")
    write(root, {"steps.py": STEPS, "helpers.py": HELPERS})
    (root / ".doit-assets").mkdir()
    cache = root / PACKAGES_CACHE
    with on_path(root, site, modules=("steps", "helpers")):
        made = load("steps").made
        assert imported_distributions(made, str(root)) == both("1.0")
        assert cache.exists()
        # The next process reads the cache, not the metadata: a version
        # planted in it is believed while the folders are as they were ...
        saved = marshal.loads(cache.read_bytes())
        _, file, size, mtime = saved[3]["tinydist"]
        saved[3]["tinydist"] = ("0.9", file, size, mtime)
        cache.write_bytes(marshal.dumps(saved))
        packages.forget()
        assert imported_distributions(made, str(root)) == both("0.9")
        # ... and a distribution installed there makes it again (a tick
        # later: some kernels keep file times to a tick of a few ms)
        time.sleep(0.02)
        tiny(site, "1.1")
        packages.forget()
        assert imported_distributions(made, str(root)) == both("1.1")
        assert marshal.loads(cache.read_bytes())[3]["tinydist"][0] == "1.1"


def test_metadata_rewritten_in_place_is_noticed_through_the_disk_cache(
    tmp_path: Path,
) -> None:
    """An editable install's ``.egg-info`` is rewritten in place: the folders
    stay as they were, the metadata file's stamp does not."""
    site, root = tmp_path / "site", tmp_path / "project"
    tiny(site, "1.0")
    other(site, "2.0")
    write(root, {"steps.py": STEPS, "helpers.py": HELPERS})
    (root / ".doit-assets").mkdir()
    with on_path(root, site, modules=("steps", "helpers")):
        made = load("steps").made
        assert imported_distributions(made, str(root)) == both("1.0")
        before = distributions_stamp(["tinydist"], str(root))
        metadata = site / "tinydist-1.0.dist-info" / "METADATA"
        stat = site.stat()
        metadata.write_text(metadata.read_text().replace("1.0", "1.0.post1"))
        assert site.stat() == stat  # its folder is as it was
        packages.forget()
        assert imported_distributions(made, str(root)) == both("1.0.post1")
        assert distributions_stamp(["tinydist"], str(root)) != before


def test_the_stamp_of_distributions_changes_with_an_upgrade_only(
    tmp_path: Path,
) -> None:
    site, root = tmp_path / "site", tmp_path / "project"
    tiny(site, "1.0")
    other(site, "2.0")
    root.mkdir()
    with on_path(site):
        stamp = distributions_stamp(["tinydist", "nosuchdist"], str(root))
        lines = stamp.splitlines()
        assert lines[0] == "nosuchdist -"
        metadata = site / "tinydist-1.0.dist-info" / "METADATA"
        assert lines[1].startswith(f"tinydist {metadata} {metadata.stat().st_size} ")
        other(site, "2.1")
        packages.forget()
        assert distributions_stamp(["tinydist", "nosuchdist"], str(root)) == stamp
        tiny(site, "1.1")
        packages.forget()
        assert distributions_stamp(["tinydist", "nosuchdist"], str(root)) != stamp


def test_python_version_is_major_dot_minor() -> None:
    assert python_version() == PYTHON


def test_doit_assets_itself_is_not_counted(tmp_path: Path) -> None:
    """Every asset module imports it; installed as a wheel it is a
    distribution like any other (here: one that says it provides it)."""
    site, root = tmp_path / "site", tmp_path / "project"
    install(site, "doit-assets", "9.9", {})
    info = site / "doit_assets-9.9.dist-info"
    (site / "doit-assets-9.9.dist-info").rename(info)
    (info / "top_level.txt").write_text("doit_assets\n", encoding="utf-8")
    tiny(site, "1.0")
    steps = """\
        import tiny
        from doit_assets import asset


        def made() -> str:
            return tiny.VERSION
        """
    write(root, {"steps.py": steps})
    with on_path(root, site, modules=("steps",)):
        assert "doit_assets" in packages._CACHE.table(str(root)).modules
        assert imported_distributions(load("steps").made, str(root)) == (
            ("tinydist", "1.0"),
        )


# -- end to end ------------------------------------------------------------------

USES = """\
from pathlib import Path

import tiny

from doit_assets import asset


@asset(path="build/uses.txt")
def uses(output: Path) -> None:
    output.write_text(tiny.VERSION + "\\n")


@asset(path="build/untracked.txt", track_packages=False)
def untracked(output: Path) -> None:
    output.write_text(tiny.VERSION + "\\n")


def from_toml(output: Path) -> None:
    output.write_text(tiny.VERSION + "\\n")
"""

INNER = """\
from pathlib import Path

from doit_assets import asset


@asset(path="build/inner.txt")
def inner(output: Path) -> None:
    import other

    output.write_text(other.VERSION + "\\n")
"""

PLAIN = """\
import json
from pathlib import Path

import helpers

from doit_assets import asset


@asset(path="build/plain.txt")
def plain(output: Path) -> None:
    output.write_text(json.dumps(helpers.word()) + "\\n")
"""

PLAIN_HELPERS = """\
import os


def word() -> str:
    return os.name
"""

PACKAGES_TOML = """\
[settings]
modules = ["uses", "inner", "plain"]

[assets.from_toml]
python = "uses:from_toml"
path = "build/from_toml.txt"
track_packages = false
"""

ALL = ["from_toml", "inner", "plain", "untracked", "uses"]


def test_an_upgraded_distribution_reruns_exactly_the_assets_that_import_it(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"  # beside the project: installed, not its code
    tiny(site, "1.0")
    other(site, "2.0")
    install(site, "unrelated", "1.0", {"unrelated.py": ""})
    monkeypatch.setenv("PYTHONPATH", str(site))
    project.write("uses.py", USES)
    project.write("inner.py", INNER)
    project.write("plain.py", PLAIN)
    project.write("helpers.py", PLAIN_HELPERS)
    project.assets(PACKAGES_TOML)
    assert sorted(project.doit_ok().ran) == ALL
    assert project.read("build/uses.txt") == "1.0\n"
    assert project.doit_ok().ran == []
    assert project.exists(PACKAGES_CACHE)  # the next runs read no metadata

    install(site, "unrelated", "1.1", {"unrelated.py": ""})
    assert project.doit_ok().ran == []

    tiny(site, "1.1")  # installed over 1.0
    why = project.doit("assets", "why", "uses")
    assert why.out == (
        "uses is stale and would run, because:\n"
        "  package 'tinydist' changed: 1.0 → 1.1\n"
    )
    assert "package       tinydist 1.1\n" in project.doit("assets", "show", "uses").out
    assert project.doit_ok().ran == ["uses"]
    assert project.read("build/uses.txt") == "1.1\n"
    # track_packages = false: made with 1.0, and left so
    assert project.read("build/untracked.txt") == "1.0\n"
    assert project.read("build/from_toml.txt") == "1.0\n"

    other(site, "2.1")  # imported inside the function
    assert project.doit_ok().ran == ["inner"]
    assert project.read("build/inner.txt") == "2.1\n"
    assert project.doit_ok().ran == []

    # the code and a package at once: both are named
    project.write("uses.py", USES.replace("tiny.VERSION +", "tiny.VERSION.strip() +"))
    tiny(site, "1.2")
    accepted = project.doit("assets", "accept", "uses")
    assert accepted.code == 1, accepted
    assert accepted.out.startswith("refused uses: its code version changed: ")
    why = project.doit("assets", "why", "uses")
    assert "  package 'tinydist' changed: 1.1 → 1.2\n" in why.out
    assert "  its code version changed: " in why.out

    # a package alone is accepted without running
    project.write("uses.py", USES)
    accepted = project.doit("assets", "accept", "uses")
    assert accepted.out == (
        "accepted uses: package 'tinydist' changed: 1.1 → 1.2\n"
        "accepted the new environment of 1 asset\n"
    )
    assert project.doit_ok().ran == []
    assert project.read("build/uses.txt") == "1.1\n"


# -- in the plan: the asset's version and its checks' ------------------------------

CHECKED = """\
from pathlib import Path

import tiny

from doit_assets import asset, asset_check


@asset(path="build/tracked.txt")
def tracked(output: Path) -> None:
    output.write_text(tiny.VERSION)


@asset(path="build/pinned.txt", code_version="1")
def pinned(output: Path) -> None:
    output.write_text(tiny.VERSION)


@asset(path="build/untracked.txt", code_version="1", track_packages=False)
def untracked(output: Path) -> None:
    output.write_text(tiny.VERSION)


@asset_check(asset="pinned")
def pinned_ok(path: Path) -> bool:
    return path.read_text() == tiny.VERSION


@asset_check(asset="untracked")
def untracked_ok(path: Path) -> bool:
    return path.read_text() == tiny.VERSION
"""


def test_the_plan_takes_packages_into_versions_and_checks_unless_told_not_to(
    folder: Project, tmp_path: Path
) -> None:
    """An explicit code_version replaces the asset's own automatic version,
    not its Python checks': theirs follow the asset's track_packages."""
    from doit_assets.plan.plan import plan_project

    site = tmp_path / "site"
    tiny(site, "1.0")
    folder.write("checked.py", CHECKED)
    folder.write("assets.toml", '[settings]\nmodules = ["checked"]\n')

    def fingerprints() -> dict[str, str | None]:
        packages.forget()
        sys.modules.pop("checked", None)
        plan = plan_project("assets.toml", write_cache=False)
        return {a.key: a.fingerprint for a in plan.assets}

    with on_path(site, modules=("checked",)):
        before = fingerprints()
        assert fingerprints() == before
        tiny(site, "1.1")
        after = fingerprints()
    assert sorted(k for k in before if before[k] != after[k]) == ["pinned", "tracked"]


def test_the_imports_of_a_module_are_kept_on_disk_by_its_stamp(
    tmp_path: Path,
) -> None:
    site, root = tmp_path / "site", tmp_path / "project"
    tiny(site, "1.0")
    other(site, "2.0")
    steps = "import tiny\n\n\ndef made() -> str:\n    return tiny.VERSION\n"
    write(root, {"steps.py": steps})
    (root / ".doit-assets").mkdir()
    cache = root / IMPORTS_CACHE
    with on_path(root, site, modules=("steps",)):
        made = load("steps").made
        assert imported_distributions(made, str(root)) == (("tinydist", "1.0"),)
        # the next process believes the cache while the file is as it was ...
        version, saved = marshal.loads(cache.read_bytes())
        stamp, names = saved[str(root / "steps.py")]
        assert names == ("tiny",)
        saved[str(root / "steps.py")] = (stamp, ("other", "tiny"))
        cache.write_bytes(marshal.dumps((version, saved)))
        packages.forget()
        assert imported_distributions(made, str(root)) == both("1.0")
        # ... and parses it again once it changed
        (root / "steps.py").write_text(steps.replace("tiny", "other"))
        packages.forget()
        made = load("steps").made
        assert imported_distributions(made, str(root)) == (("otherdist", "2.0"),)
