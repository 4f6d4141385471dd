"""The edge to doit: the task creator and its task dicts, the loader of
``doit-assets``, the lineage reporter and its recorder, the SQLite state
backend, doit's own commands made to understand assets, and the no-op fast path.

doit imports every REPORTER and BACKEND plugin of an environment on every run:
those modules stay light.
"""
