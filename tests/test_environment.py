"""The environment of a transform, end to end: ``env`` and ``[settings] env``,
``pass_env``, ``fingerprint_env``, ``secret_env`` and ``requires`` (tool
versions), what each makes run again and how ``why``, ``show``, the history
and ``accept`` tell it; the declarations' own problems at the end (in-process).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import time
from pathlib import Path

import pytest
from conftest import Project

from doit_assets import AssetError, load_graph

PIPELINE = """\
[vars]
seed = "7"

[assets.data]
path = "data.txt"

[assets.sorted]
path = "sorted.txt"
transform = "sort {data.path} > {self.path}; echo \\"$LC_ALL $SEED\\" >> {self.path}"
env = { LC_ALL = "C", SEED = "{vars.seed}" }

[assets.copied]
path = "copied.txt"
transform = "cp {data.path} {self.path}"
"""


def _pipeline(project: Project, toml: str = PIPELINE) -> None:
    project.assets(toml)
    project.write("data.txt", "b\nB\na\n")


def test_env_is_set_for_the_transform_and_rendered_from_vars(project: Project) -> None:
    _pipeline(project)
    assert sorted(project.doit_ok().ran) == ["copied", "sorted"]
    # LC_ALL=C sorts capitals first; SEED came from {vars.seed}
    assert project.read("sorted.txt") == "B\na\nb\nC 7\n"


def test_an_env_change_runs_exactly_the_assets_that_declare_it(
    project: Project,
) -> None:
    _pipeline(project)
    project.doit_ok()
    project.assets(PIPELINE.replace('seed = "7"', 'seed = "8"'))
    why = project.doit("assets", "why", "sorted")
    assert (
        why.out
        == "sorted is stale and would run, because:\n  env 'SEED' changed: 7 → 8\n"
    )
    assert project.doit_ok().ran == ["sorted"]
    assert project.read("sorted.txt").endswith("C 8\n")
    assert project.doit_ok().ran == []


def test_settings_env_reaches_every_transform_and_the_asset_wins(
    project: Project,
) -> None:
    toml = PIPELINE.replace(
        "[assets.data]",
        '[settings]\nenv = { LC_ALL = "POSIX", SEED = "1" }\n\n[assets.data]',
    )
    _pipeline(project, toml)
    project.doit_ok()
    assert project.read("sorted.txt").endswith("C 7\n")  # the asset's own won
    edited = toml.replace('SEED = "1"', 'SEED = "2"')
    project.assets(edited)
    # sorted sets SEED itself: [settings] SEED does not reach it
    assert project.doit_ok().ran == ["copied"]


def test_pass_env_chooses_what_of_the_callers_environment_a_transform_sees(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VISIBLE", "yes")
    monkeypatch.setenv("HIDDEN", "no")
    project.assets(
        """\
        [settings]
        pass_env = ["PATH", "VISIBLE"]

        [assets.seen]
        path = "seen.txt"
        transform = "echo \\"[$VISIBLE][$HIDDEN][$OWN]\\" > {self.path}"
        env = { OWN = "mine" }
        """
    )
    project.doit_ok()
    assert project.read("seen.txt") == "[yes][][mine]\n"


def test_without_pass_env_a_transform_sees_all_of_the_callers_environment(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INHERITED", "here")
    project.assets(
        """\
        [assets.seen]
        path = "seen.txt"
        transform = "echo \\"[$INHERITED]\\" > {self.path}"
        """
    )
    project.doit_ok()
    assert project.read("seen.txt") == "[here]\n"
    monkeypatch.setenv("INHERITED", "changed")
    assert project.doit_ok().ran == []  # not in any fingerprint


FINGERPRINT_ENV = """\
[settings]
fingerprint_env = ["REGION"]

[assets.data]
path = "data.txt"

[assets.copied]
path = "copied.txt"
transform = "cp {data.path} {self.path}"

[assets.counted]
path = "counted.txt"
transform = "wc -l < {data.path} > {self.path}"
"""


@pytest.mark.parametrize("command", ["doit", "doit-assets"])
def test_an_inherited_variable_in_fingerprint_env_runs_every_transform(
    project: Project, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    _pipeline(project, FINGERPRINT_ENV)
    run = project.doit_ok if command == "doit" else project.doit_assets
    monkeypatch.setenv("REGION", "eu")
    assert sorted(run().ran) == ["copied", "counted"]
    assert run().ran == []  # doit-assets: the no-op fast path vouches for it
    monkeypatch.setenv("REGION", "us")
    why = project.doit("assets", "why", "copied")
    assert "  inherited env 'REGION' changed: eu → us\n" in why.out
    assert sorted(run().ran) == ["copied", "counted"]
    monkeypatch.delenv("REGION")
    why = project.doit("assets", "why", "counted")
    assert "  inherited env 'REGION' changed: us → (unset)\n" in why.out


def _stub_tool(project: Project, version: str) -> Path:
    """``mytool --version`` prints VERSION and counts its calls in calls.log."""
    folder = project.root.parent / f"{project.root.name}-bin"
    folder.mkdir(exist_ok=True)
    tool = folder / "mytool"
    calls = project.root.parent / f"{project.root.name}-calls.log"
    tool.write_text(
        "#!/bin/sh\n"
        f'if [ "$1" = --version ]; then echo x >> "{calls}"; '
        f'echo "mytool {version} (stub)"; echo "Copyright nobody"; exit 0; fi\n'
        'cat "$1" > "$2"\n'
    )
    tool.chmod(tool.stat().st_mode | stat.S_IEXEC)
    return tool


TOOLS = """\
[assets.data]
path = "data.txt"

[assets.tooled]
path = "tooled.txt"
transform = "mytool {data.path} {self.path}"
requires = ["mytool --version"]

[assets.plain]
path = "plain.txt"
transform = "cp {data.path} {self.path}"
"""


def _calls(project: Project) -> int:
    log = project.root.parent / f"{project.root.name}-calls.log"
    return len(log.read_text().splitlines()) if log.exists() else 0


def test_a_tool_whose_version_changes_runs_its_assets_and_why_names_it(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    tool = _stub_tool(project, "1.0")
    monkeypatch.setenv("PATH", f"{tool.parent}{os.pathsep}{os.environ['PATH']}")
    _pipeline(project, TOOLS)
    assert sorted(project.doit_ok().ran) == ["plain", "tooled"]
    assert _calls(project) == 1  # once per run
    assert project.doit_ok().ran == []
    # a script (a version manager's shim is one) is asked again on every run
    assert _calls(project) == 2
    _stub_tool(project, "1.1")
    os.utime(tool, ns=(1, 1))  # a new stamp even within the same clock tick
    why = project.doit("assets", "why", "tooled")
    assert why.out == (
        "tooled is stale and would run, because:\n  tool 'mytool' changed: 1.0 → 1.1\n"
    )
    assert project.doit_ok().ran == ["tooled"]
    show = project.doit("assets", "show", "tooled")
    assert "tool          mytool --version: mytool 1.1 (stub)\n" in show.out


def test_a_compiled_tools_version_is_kept_by_its_programs_stamp(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = project.root.parent / f"{project.root.name}-bin"
    folder.mkdir()
    tool = folder / "mytool"
    shutil.copy2("/bin/echo", tool)  # a compiled program: its stamp decides
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    project.assets(
        """\
        [assets.tooled]
        path = "tooled.txt"
        transform = "echo made > {self.path}"
        requires = ["mytool --version"]
        """
    )
    project.doit_ok()
    kept = json.loads(project.read(".doit-assets/tools"))
    stamp, output = kept["mytool --version"]
    assert stamp.startswith(f"{tool.resolve()}:")
    assert output.startswith("echo (GNU coreutils)")
    # what is kept is what counts while the program is the same: not run again
    kept["mytool --version"] = [stamp, "mytool 7.0"]
    project.write(".doit-assets/tools", json.dumps(kept))
    why = project.doit("assets", "why", "tooled")
    assert why.out.startswith("tooled is stale and would run, because:\n")
    assert why.out.endswith(" → 7.0\n")
    # another program at its path: asked again
    tool.unlink()
    shutil.copy2("/bin/true", tool)
    assert project.doit_ok().ran == ["tooled"]
    show = project.doit("assets", "show", "tooled")
    assert "tool          mytool --version: true (GNU coreutils)" in show.out


def test_a_tool_change_is_seen_by_the_no_op_fast_path(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = project.root.parent / f"{project.root.name}-bin"
    folder.mkdir()
    tool = folder / "mytool"
    shutil.copy2("/bin/echo", tool)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    _pipeline(project, TOOLS.replace("mytool {data.path}", "cp {data.path}"))
    project.doit_assets()
    assert project.doit_assets().ran == []
    assert project.exists(".doit-assets/noop.manifest")  # vouched for
    tool.unlink()
    shutil.copy2("/bin/true", tool)  # another version at the same path
    assert project.doit_assets().ran == ["tooled"]
    # and a script, whose stamp says nothing, keeps the fast path off
    _stub_tool(project, "1.0")
    assert project.doit_assets().ran == ["tooled"]
    assert project.doit_assets().ran == []
    assert not project.exists(".doit-assets/noop.manifest")


def test_a_version_command_that_fails_fails_only_the_assets_that_declare_it(
    project: Project,
) -> None:
    _pipeline(
        project,
        TOOLS.replace('"mytool --version"', '"no-such-tool-here --version"'),
    )
    line = (
        "assets.toml:4: asset 'tooled': the version command "
        "'no-such-tool-here --version' in 'requires' exited with code 127: "
        "/bin/sh: 1: no-such-tool-here: not found. Install the tool, or correct "
        "the command"
    )
    listed = project.doit("list")  # the project can still be looked at
    assert listed.code == 0, listed
    assert listed.err == line.replace(": asset", ": warning: asset", 1) + "\n"
    result = project.doit()
    assert result.code == 1
    assert "Traceback" not in result.err
    assert result.ran == ["tooled", "plain"] or sorted(result.ran) == [
        "plain",
        "tooled",
    ]
    assert project.exists("plain.txt")  # what does not need the tool is made
    assert not project.exists("tooled.txt")
    assert f"\nfailed: tooled: {line.split(': ', 2)[2]}\n" in result.out
    why = project.doit("assets", "why", "tooled")
    assert why.out.startswith(
        "tooled failed last time and would run again, because:\n  the version command "
        "'no-such-tool-here --version' in 'requires' exited with code 127: "
    )


SECRET = """\
[vars]
token = "hunter2"

[settings]
secret_env = ["API_TOKEN"]

[assets.data]
path = "data.txt"

[assets.fetched]
path = "fetched.txt"
transform = "echo \\"${{#API_TOKEN}}\\" > {self.path}"
env = { API_TOKEN = "{vars.token}", MODE = "full" }
"""


def test_a_secret_value_is_used_but_never_shown(project: Project) -> None:
    _pipeline(project, SECRET)
    project.doit_ok()
    assert project.read("fetched.txt") == "7\n"  # the transform had it
    show = project.doit("assets", "show", "fetched")
    assert "env           API_TOKEN=sha256:" in show.out
    assert "env           MODE=full\n" in show.out
    history = project.doit("assets", "history", "fetched", "--json")
    shows = [
        show.out,
        history.out,
        project.doit("assets", "show", "fetched", "--json").out,
    ]
    project.assets(SECRET.replace("hunter2", "hunter3"))
    why = project.doit("assets", "why", "fetched")
    assert why.out == (
        "fetched is stale and would run, because:\n"
        "  env 'API_TOKEN' changed (a secret: its value is not shown)\n"
    )
    assert project.doit_ok().ran == ["fetched"]
    graph = project.doit("assets", "graph", "--format", "json")
    for text in [*shows, why.out, graph.out]:
        assert "hunter" not in text
    for path in project.root.rglob("*"):
        if path.is_file() and path.suffix in (".log", ".json", ".sqlite", ""):
            assert b"hunter" not in path.read_bytes(), path


def test_show_lists_every_component_of_the_fingerprint(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REGION", "eu")
    toml = PIPELINE.replace(
        "[vars]", '[settings]\nfingerprint_env = ["REGION"]\n\n[vars]'
    )
    _pipeline(project, toml)
    project.doit_ok()
    show = project.doit("assets", "show", "sorted")
    assert "env            LC_ALL=C\n" in show.out
    assert "env            SEED=7\n" in show.out
    assert "inherited env  REGION=eu\n" in show.out
    data = json.loads(project.doit("assets", "show", "sorted", "--json").out)
    found = data["fingerprint_components"]
    assert found["transform"].startswith("sort data.txt > sorted.txt")
    assert found["env"] == {"LC_ALL": "C", "SEED": "7"}
    assert found["inherited"] == {"REGION": "eu"}
    assert found["inputs"] == ["data.txt"]
    assert found["paths"] == ["sorted.txt"]
    assert len(found["digest"]) == 32


def test_each_materialization_records_its_environment(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    tool = _stub_tool(project, "3.2")
    monkeypatch.setenv("PATH", f"{tool.parent}{os.pathsep}{os.environ['PATH']}")
    _pipeline(
        project,
        TOOLS.replace(
            'requires = ["mytool --version"]',
            'requires = ["mytool --version"]\nenv = { K = "v" }',
        ),
    )
    project.doit_ok()
    history = json.loads(project.doit("assets", "history", "tooled", "--json").out)
    environment = history["materializations"][0]["environment"]
    assert environment["env"] == {"K": "v"}
    assert environment["tools"] == {
        "mytool --version": "mytool 3.2 (stub)\nCopyright nobody"
    }
    assert environment["interpreter"].count(".") == 2
    assert environment["host"] == os.uname().nodename
    assert environment["doit_assets"]


def test_accept_records_a_new_environment_without_running(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    tool = _stub_tool(project, "1.0")
    monkeypatch.setenv("PATH", f"{tool.parent}{os.pathsep}{os.environ['PATH']}")
    _pipeline(project, TOOLS)
    project.doit_ok()
    made = project.path("tooled.txt").stat().st_mtime_ns
    _stub_tool(project, "1.1")
    os.utime(tool, ns=(1, 1))
    accepted = project.doit("assets", "accept", "tooled", "plain")
    assert accepted.code == 0, accepted
    assert accepted.out == (
        "accepted tooled: tool 'mytool' changed: 1.0 → 1.1\n"
        "unchanged plain: its environment is as recorded\n"
        "accepted the new environment of 1 asset\n"
    )
    assert project.doit_ok().ran == []
    assert project.path("tooled.txt").stat().st_mtime_ns == made
    show = project.doit("assets", "show", "tooled")
    assert "status        fresh\n" in show.out


def test_accept_refuses_a_changed_transform(project: Project) -> None:
    _pipeline(project)
    project.doit_ok()
    project.assets(PIPELINE.replace("cp {data.path}", "cp -p {data.path}"))
    refused = project.doit("assets", "accept", "copied")
    assert refused.code == 1
    assert refused.out == (
        "refused copied: its transform changed: only running it records that "
        "(doit copied)\naccepted the new environment of 0 assets\n"
    )
    assert project.doit_ok().ran == ["copied"]


def test_accept_of_a_never_made_asset_says_so(project: Project) -> None:
    _pipeline(project)
    result = project.doit("assets", "accept", "sorted")
    assert result.out == (
        "skipped sorted: it has no saved state (never made, failed since, or "
        "forgotten): run it\n"
        "accepted the new environment of 0 assets\n"
    )


def test_doit_reset_dep_records_the_new_environment_too(project: Project) -> None:
    _pipeline(project)
    project.doit_ok()
    project.assets(PIPELINE.replace('seed = "7"', 'seed = "9"'))
    project.doit_ok("reset-dep")
    assert project.doit_ok().ran == []
    assert project.read("sorted.txt").endswith("C 7\n")  # nothing ran


def test_a_python_asset_runs_with_its_env_and_the_process_keeps_its_own(
    project: Project,
) -> None:
    project.write(
        "pipeline.py",
        "import os\n"
        "from doit_assets import asset\n\n"
        "@asset(path='seed.txt', env={'MODEL_SEED': '7'})\n"
        "def seed(output):\n"
        "    output.write_text(os.environ['MODEL_SEED'])\n\n"
        "@asset(path='after.txt', depends_on=['seed'])\n"
        "def after(output):\n"
        "    output.write_text(os.environ.get('MODEL_SEED', 'unset'))\n",
    )
    project.assets('[settings]\nmodules = ["pipeline"]\n')
    project.doit_ok()
    assert project.read("seed.txt") == "7"
    assert project.read("after.txt") == "unset"
    project.write("pipeline.py", project.read("pipeline.py").replace("'7'", "'8'"))
    # its output changed, so what reads it runs too
    assert project.doit_ok().ran == ["seed", "after"]
    assert project.read("after.txt") == "unset"


# -- the declarations' own problems (in-process) -----------------------------------


def _load_error(folder: Project, toml: str) -> str:
    folder.write("assets.toml", toml)
    with pytest.raises(AssetError) as exc:
        load_graph("assets.toml")
    return str(exc.value)


def test_env_must_be_a_table_of_strings(folder: Project) -> None:
    message = _load_error(
        folder,
        '[assets.a]\npath = "a"\ntransform = "x"\nenv = ["LC_ALL=C"]\n',
    )
    assert message == (
        "assets.toml:4: asset 'a': 'env' must be a table of variable names and "
        'values, got array. For example env = { LC_ALL = "C" }'
    )
    message = _load_error(
        folder, '[assets.a]\npath = "a"\ntransform = "x"\nenv = { SEED = 7 }\n'
    )
    assert message == (
        "assets.toml:4: asset 'a': env 'SEED' must be a string, got integer. "
        'Quote it: SEED = "..."'
    )


def test_env_names_variables_and_uses_only_vars(folder: Project) -> None:
    message = _load_error(
        folder,
        '[assets.a]\npath = "a"\ntransform = "x"\nenv = { "1X" = "y" }\n',
    )
    assert message == (
        "assets.toml:4: asset 'a': 'env' name '1X' is not a variable name. A "
        "variable name is letters, digits and '_', and does not start with a digit"
    )
    message = _load_error(
        folder,
        '[vars]\nseed = "1"\n\n[assets.a]\npath = "a"\ntransform = "x"\n'
        'env = { S = "{vars.sed}", P = "{self.path}" }\n',
    )
    assert message.splitlines() == [
        "assets.toml:7: asset 'a': unknown variable 'sed' in env 'S'. Did you mean 'seed'?",
        "assets.toml:7: asset 'a': env 'P' may use only {vars.NAME}, got "
        "'{self.path}'. An environment variable is part of the definition; paths "
        "go in the transform",
    ]


def test_a_source_has_no_env(folder: Project) -> None:
    message = _load_error(folder, '[assets.a]\npath = "a"\nenv = { X = "1" }\n')
    assert message == (
        "assets.toml:3: asset 'a': a source asset runs nothing: 'env' and "
        "'requires' are for transforms. Remove them, or add a 'transform'"
    )


def test_requires_is_a_list_of_commands(folder: Project) -> None:
    message = _load_error(
        folder, '[assets.a]\npath = "a"\ntransform = "x"\nrequires = "sort --version"\n'
    )
    assert message == (
        "assets.toml:4: asset 'a': 'requires' must be a list of commands, got "
        'string. Write requires = ["sort --version"]'
    )
    message = _load_error(
        folder, '[assets.a]\npath = "a"\ntransform = "x"\nrequires = [" "]\n'
    )
    assert message == (
        "assets.toml:4: asset 'a': 'requires' holds an empty command. Write a "
        'command that prints a tool\'s version, for example "sort --version"'
    )


def test_environment_settings_are_checked(folder: Project) -> None:
    message = _load_error(
        folder,
        '[settings]\npass_env = "PATH"\nfingerprint_env = ["LANG", "no good"]\n'
        'secret_env = ["TOKEN"]\nrequires = [1]\nenv = { A = 1 }\n',
    )
    assert message.splitlines() == [
        "assets.toml:2: setting 'pass_env' must be a list of variable names, got "
        'string. For example pass_env = ["HOME", "PATH"]',
        "assets.toml:3: setting 'fingerprint_env': 'no good' is not a variable "
        "name. A variable name is letters, digits and '_', and does not start "
        "with a digit",
        "assets.toml:5: setting 'requires' must be a list of commands, got "
        'array. For example requires = ["sort --version"]',
        "assets.toml:6: setting env 'A' must be a string, got integer. Quote it: A = \"...\"",
    ]


def test_env_and_requires_keep_the_plan_cache_valid(folder: Project) -> None:
    from doit_assets.plan.plan import plan_project

    folder.write(
        "assets.toml",
        '[settings]\nenv = { A = "1" }\n\n[assets.a]\npath = "a"\n'
        'transform = "x"\nenv = { B = "2" }\nrequires = ["echo 1.0"]\n',
    )
    first = plan_project("assets.toml", frozenset())
    again = plan_project("assets.toml", frozenset())  # from the cache
    assert first.by_task["a"] == again.by_task["a"]
    assert again.by_task["a"].env == (("A", "1"), ("B", "2"))
    assert again.by_task["a"].requires == ("echo 1.0",)


def test_the_order_of_env_says_nothing(project: Project) -> None:
    _pipeline(project)
    project.doit_ok()
    project.assets(
        PIPELINE.replace(
            'env = { LC_ALL = "C", SEED = "{vars.seed}" }',
            'env = { SEED = "{vars.seed}", LC_ALL = "C" }',
        )
    )
    assert project.doit_ok().ran == []


def test_accept_json_exits_as_accept_does(project: Project) -> None:
    _pipeline(project)
    project.doit_ok()
    project.assets(PIPELINE.replace("cp {data.path}", "cp -p {data.path}"))
    refused = project.doit("assets", "accept", "--json", "copied")
    assert refused.code == 1, refused
    assert json.loads(refused.out)["assets"][0]["outcome"] == "refused"


def test_a_version_command_that_hangs_is_stopped_whole(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = project.root.parent / f"{project.root.name}-bin"
    folder.mkdir()
    marker = project.root.parent / "still-running"
    tool = folder / "hang"
    tool.write_text(f'#!/bin/sh\nsleep 3 && touch "{marker}" &\nwait\n')
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("DOIT_ASSETS_TOOL_TIMEOUT", "1")
    project.assets(
        """\
        [assets.a]
        path = "a.txt"
        transform = "touch {self.path}"
        requires = ["hang --version"]
        """
    )
    result = project.doit()
    assert result.code != 0
    assert (
        "the version command 'hang --version' in 'requires' did not finish within 1s"
        in result.err
    )
    time.sleep(3.5)
    assert not marker.exists()  # its child was stopped with it


def test_requires_may_use_vars(folder: Project) -> None:
    folder.write(
        "assets.toml",
        '[vars]\npython = "python3"\n\n[settings]\nrequires = ["{vars.python} -V"]\n\n'
        '[assets.a]\npath = "a"\ntransform = "x"\nrequires = ["{vars.python} --version"]\n',
    )
    _, graph = load_graph("assets.toml")
    assert graph["a"].requires == ("python3 --version",)
    message = _load_error(
        folder,
        '[assets.a]\npath = "a"\ntransform = "x"\nrequires = ["{vars.py} -V", "{a.path}"]\n',
    )
    assert message.splitlines() == [
        "assets.toml:4: asset 'a': unknown variable 'py' in requires '{vars.py} -V'. "
        'Declare it under [vars]: py = "..."',
        "assets.toml:4: asset 'a': requires '{a.path}' may use only {vars.NAME}, got "
        "'{a.path}'. A version command names a program, not an asset's files",
    ]


def test_accept_takes_a_partition_and_names_what_else_is_stale(
    project: Project,
) -> None:
    project.assets(
        """\
        [vars]
        seed = "1"

        [assets.part]
        path = "out/{partition}.txt"
        transform = "echo {partition} $SEED > {self.path}"
        env = { SEED = "{vars.seed}" }
        partitions = { static = ["a", "b"] }

        [assets.data]
        path = "data.txt"

        [assets.copied]
        path = "copied.txt"
        transform = "cp {data.path} {self.path}"
        """
    )
    project.write("data.txt", "1\n")
    project.doit_ok()
    project.assets(project.read("assets.toml").replace('seed = "1"', 'seed = "2"'))
    accepted = project.doit("assets", "accept", "part:a")
    assert accepted.out == (
        "accepted part:a: env 'SEED' changed: 1 → 2\n"
        "accepted the new environment of 1 asset\n"
    )
    assert project.doit_ok().ran == ["part:b"]
    project.write("data.txt", "2\n")
    unchanged = project.doit("assets", "accept", "copied")
    assert unchanged.out == (
        "unchanged copied: its environment is as recorded\n"
        "  still stale: input 'data.txt' changed\n"
        "accepted the new environment of 0 assets\n"
    )


def test_changed_components_are_named_without_their_values() -> None:
    from doit_assets.plan.environment import changed_components, secret_digest

    old = {
        "env": {"SEED": "7", "TOKEN": secret_digest("hunter2"), "GONE": "1"},
        "inherited": {"LANG": "C"},
        "tools": {"sort --version": "sort 9.4", "cat --version": "cat 9.4"},
        "python": "3.11",
        "packages": {"pandas": "2.2.3", "numpy": "2.0"},
        "code": "c1",
        "host": "a",
    }
    new = {
        "env": {"SEED": "7", "TOKEN": secret_digest("swordfish"), "NEW": "2"},
        "inherited": {"LANG": None},
        "tools": {"sort --version": "sort 9.5", "cat --version": "cat 9.4"},
        "python": "3.12",
        "packages": {"pandas": "2.3.0", "numpy": "2.0"},
        "code": "c2",  # the code is the definition's, not the environment's
        "host": "b",  # where it ran does not enter the fingerprint
    }
    assert changed_components(old, new) == [
        "env 'TOKEN'",
        "env 'GONE'",
        "env 'NEW'",
        "inherited env 'LANG'",
        "tool 'sort --version'",
        "Python",
        "package 'pandas'",
    ]
    assert changed_components(old, old) == []
    assert changed_components(None, {"env": {"A": "1"}}) == ["env 'A'"]


def test_a_program_linked_to_another_is_asked_every_run(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    # rustc -> rustup, node -> mise: a version manager, which chooses the tool
    # by variables and files; its version is never kept
    folder = project.root.parent / f"{project.root.name}-bin"
    folder.mkdir()
    shutil.copy2("/bin/echo", folder / "manager")
    (folder / "mytool").symlink_to(folder / "manager")
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    project.assets(
        """\
        [assets.tooled]
        path = "tooled.txt"
        transform = "echo made > {self.path}"
        requires = ["mytool --version"]
        """
    )
    project.doit_ok()
    assert not project.exists(".doit-assets/tools")  # nothing to keep


def test_a_failed_version_command_is_no_version_to_accept_or_reproduce(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    tool = _stub_tool(project, "1.0")
    monkeypatch.setenv("PATH", f"{tool.parent}{os.pathsep}{os.environ['PATH']}")
    _pipeline(project, TOOLS)
    project.doit_ok()
    tool.write_text("#!/bin/sh\necho 'mytool broken'\nexit 1\n")
    accepted = project.doit("assets", "accept", "tooled")
    assert accepted.code == 1, accepted
    assert accepted.out.startswith(
        "refused tooled: the version command 'mytool --version' in 'requires' "
        "exited with code 1: mytool broken: no version to accept\n"
    )
    reproduced = project.doit("assets", "reproduce", "--check", "tooled")
    assert reproduced.code == 2, reproduced
    assert "tooled: refused: the version command 'mytool --version'" in reproduced.out
    failed = project.doit()
    assert failed.code == 1
    rows = json.loads(project.doit("assets", "history", "tooled", "--json").out)
    assert rows["materializations"][0]["status"] == "failed"
    assert rows["materializations"][0]["environment"]["tools"] == {
        "mytool --version": None
    }


def test_a_secret_never_reaches_the_manifest_or_a_failed_commands_line(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("API_TOKEN", "topsecret555")
    project.assets(
        """\
        [settings]
        secret_env = ["API_TOKEN"]
        fingerprint_env = ["API_TOKEN"]

        [assets.made]
        path = "made.txt"
        transform = "echo made > {self.path}"

        [assets.leaky]
        path = "leaky.txt"
        transform = "echo x > {self.path}"
        requires = ["sh -c 'echo tok=$API_TOKEN; exit 3'"]
        """
    )
    first = project.doit_assets()
    second = project.doit_assets()
    outputs = [first.out, first.err, second.out, second.err]
    outputs.append(project.doit("assets", "status", "--json").out)
    outputs.append(project.doit("assets", "why", "leaky").out)
    assert "tok=***" in first.err
    for text in outputs:
        assert "topsecret555" not in text
    for path in project.root.rglob("*"):
        if path.is_file():
            assert b"topsecret555" not in path.read_bytes(), path


def test_what_a_version_command_leaves_running_does_not_hold_the_run(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOIT_ASSETS_TOOL_TIMEOUT", "abc")  # read as the default
    project.assets(
        """\
        [assets.a]
        path = "a.txt"
        transform = "echo made > {self.path}"
        requires = ["sh -c 'echo 1.0; setsid sleep 20 > /dev/null 2>&1 &'"]
        """
    )
    started = time.monotonic()
    project.doit_ok()
    assert time.monotonic() - started < 10


def test_accept_says_a_source_is_skipped(project: Project) -> None:
    _pipeline(project)
    project.doit_ok()
    result = project.doit("assets", "accept", "data", "copied")
    assert result.out == (
        "skipped data: a source asset: nothing runs to make it\n"
        "unchanged copied: its environment is as recorded\n"
        "accepted the new environment of 0 assets\n"
    )


def test_accept_is_refused_while_a_run_holds_the_lock_and_writes_nothing(
    project: Project,
) -> None:
    from doit_assets.run.lock import RunLock

    _pipeline(project)
    project.doit_ok()
    project.assets(PIPELINE.replace('seed = "7"', 'seed = "8"'))
    lock = RunLock(str(project.path(".doit-assets/lock")))
    lock.acquire("a run")
    try:
        result = project.doit("assets", "accept", "sorted")
    finally:
        lock.release()
    assert (result.code, result.out) == (3, ""), result
    assert result.err.startswith(
        "ERROR: .doit-assets/lock: another doit run is using this project: "
    ), result
    assert "Traceback" not in result.err
    # nothing was recorded: sorted still runs for its new env
    assert project.doit_ok().ran == ["sorted"]


def test_accept_of_an_unknown_partition_is_one_line(project: Project) -> None:
    _pipeline(project)
    result = project.doit("assets", "accept", "sorted:nope")
    assert (result.code, result.out) == (3, ""), result
    assert result.err == (
        "ERROR: asset 'sorted' has no partitions. Name it as 'sorted'\n"
    )
