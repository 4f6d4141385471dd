"""The command line: ``doit assets ...`` (argument parsing, each command, and its
text or JSON), the ``doit-assets`` console script, and the runs it starts
(``materialize``, ``backfill``). The only code that changes the working
directory.
"""
