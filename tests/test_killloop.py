"""The kill loop: kill -9 the doit process at random moments, run again at once.

30 times, with transforms that write their output in chunks, alternately with
one worker and with two: every output is always one whole version made by
one attempt, and no run is ever refused a lock. Run it alone with
``pytest -m killloop``; ``DOIT_ASSETS_KILL_SEED`` picks other moments.
"""

from __future__ import annotations

import os
import random
import signal
import time

import pytest
from conftest import Project
from test_processes import LINES, assert_whole, start

KILLS = 30
SEED = int(os.environ.get("DOIT_ASSETS_KILL_SEED", "11"))


@pytest.mark.killloop
def test_thirty_kills_of_doit_at_random_moments_never_mix_or_lock(
    project: Project,
) -> None:
    from test_processes import CHUNKS, TWO

    project.write("chunks.py", CHUNKS)
    project.write("pace.txt", f"{LINES} 0.01\n")
    project.write("version.txt", "start\n")
    project.assets(TWO)
    moments = random.Random(SEED)
    for kill in range(KILLS):
        project.write("version.txt", f"{kill}\n")  # every asset stale
        args = ("-n", "2") if kill % 2 else ()
        proc = start(project, *args)
        time.sleep(moments.uniform(0.0, 1.2))  # start-up, running, publishing, done
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)  # the killed run's processes hold no pipe
        project.write("pace.txt", f"{LINES} 0.002\n")  # outruns what was killed
        again = project.doit(*args)
        project.write("pace.txt", f"{LINES} 0.01\n")
        time.sleep(0.5)  # what was killed, if it ran on, would write now
        assert again.code == 0, (kill, again)
        assert "another doit run is using this project" not in again.err, kill
        assert_whole(project, "out/left.txt")
        assert_whole(project, "out/right.txt")
        assert project.staging_dirs() == [], kill
    assert project.doit_ok().ran == []
