"""``doit assets status`` predicts exactly what ``doit`` then runs.

A seeded random loop edits a pipeline the ways users do (new source content,
a touched source, a changed variable, a parameter file, a deleted or
hand-edited output, several at once or nothing), asks ``status --json`` which
assets will run, runs ``doit``, and compares. Every transform writes a line
that depends on its variable and all its inputs, so a re-run upstream always
changes what its readers see: the prediction must then be exact.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Callable

import pytest
from conftest import Project

# src1, src2 -> a, b -> c, d -> e -> f (+ params.txt), and g off src2 alone
PIPELINE = """\
[vars]
python = "{python}"
{variables}

[assets.src1]
path = "data/src1.txt"

[assets.src2]
path = "data/src2.txt"

[assets.a]
path = "out/a.txt"
transform = "{vars.python} tx.py prefix {self.path} {vars.v_a} {src1.path}"

[assets.b]
path = "out/b.txt"
transform = "{vars.python} tx.py prefix {self.path} {vars.v_b} {src1.path} {src2.path}"

[assets.c]
path = "out/c.txt"
transform = "{vars.python} tx.py prefix {self.path} {vars.v_c} {a.path} {b.path}"

[assets.d]
path = "out/d.txt"
transform = "{vars.python} tx.py prefix {self.path} {vars.v_d} {b.path}"

[assets.e]
path = "out/e.txt"
transform = "{vars.python} tx.py prefix {self.path} {vars.v_e} {c.path} {d.path}"

[assets.f]
path = "out/f.txt"
inputs = ["params.txt"]
transform = "{vars.python} tx.py prefix {self.path} {vars.v_f} {e.path} params.txt"

[assets.g]
path = "out/g.txt"
transform = "{vars.python} tx.py prefix {self.path} {vars.v_g} {src2.path}"
"""
TRANSFORMS = "abcdefg"
SOURCES = ("data/src1.txt", "data/src2.txt", "params.txt")
SEEDS = (1, 2)
STEPS = 10


class Pipeline:
    def __init__(self, project: Project, rng: random.Random) -> None:
        self.project = project
        self.rng = rng
        self.variables = {f"v_{name}": "1" for name in TRANSFORMS}
        self.counter = 0
        for path in SOURCES:
            project.write(path, f"{path} 0\n")
        self.write_toml()

    def write_toml(self) -> None:
        lines = "\n".join(f'{k} = "{v}"' for k, v in self.variables.items())
        text = PIPELINE.replace("{variables}", lines)
        self.project.assets(text)

    def fresh_text(self, what: str) -> str:
        self.counter += 1
        return f"{what} {self.counter}\n"

    # -- the edits -----------------------------------------------------------

    def edit_source(self) -> str:
        path = self.rng.choice(SOURCES)
        self.project.write(path, self.fresh_text(path))
        return f"edit {path}"

    def touch_source(self) -> str:
        path = self.project.path(self.rng.choice(SOURCES))
        later = path.stat().st_mtime + self.rng.randint(1, 100)
        os.utime(path, (later, later))
        return f"touch {path.name}"

    def change_variable(self) -> str:
        name = f"v_{self.rng.choice(TRANSFORMS)}"
        # sometimes back to a value it had before
        self.variables[name] = str(self.rng.choice([1, 2, 3]))
        self.write_toml()
        return f"{name} = {self.variables[name]}"

    def delete_output(self) -> str:
        path = self.project.path(f"out/{self.rng.choice(TRANSFORMS)}.txt")
        path.unlink(missing_ok=True)
        return f"delete {path.name}"

    def edit_output(self) -> str:
        rel = f"out/{self.rng.choice(TRANSFORMS)}.txt"
        self.project.write(rel, self.fresh_text("by hand"))
        return f"hand-edit {rel}"

    def nothing(self) -> str:
        return "no change"

    def edits(self) -> list[Callable[[], str]]:
        return [
            self.edit_source,
            self.touch_source,
            self.change_variable,
            self.delete_output,
            self.edit_output,
            self.nothing,
        ]


def predicted(project: Project) -> set[str]:
    result = project.doit("assets", "status", "--json")
    assert result.code == 0, result
    assets = json.loads(result.out)["assets"]
    return {a["asset"] for a in assets if a["will_run"] and a["kind"] == "transform"}


@pytest.mark.parametrize("seed", SEEDS)
def test_status_predicts_exactly_what_doit_runs(project: Project, seed: int) -> None:
    rng = random.Random(seed)
    pipeline = Pipeline(project, rng)
    assert predicted(project) == set(TRANSFORMS)
    assert set(project.doit_ok().ran) == set(TRANSFORMS)
    story = []
    for _ in range(STEPS):
        count = rng.choice([1, 1, 2, 3])
        story.append(", ".join(rng.choice(pipeline.edits())() for _ in range(count)))
        expected = predicted(project)
        run = project.doit_ok()
        assert set(run.ran) == expected, (story, run)
        assert predicted(project) == set(), (story, "stale after a run")
