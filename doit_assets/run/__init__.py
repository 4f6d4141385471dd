"""Running transforms: the one seam where a transform is executed, its staging
and publishing, the processes of a run and their watchdog, the run lock,
observations, the progress and summary lines, and the ``RunContext`` a run
passes down instead of module globals.

A new executor goes here and implements what ``execute.materialize`` does.
"""
