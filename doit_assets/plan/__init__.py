"""The plan: one typed record per asset (per partition) that a run would make,
compiled from the validated graph, and the project cache that keeps it.

What loading produces and what task compilation, status, the recorder and the
commands read. No doit here: doit's task dicts are made at the plugin edge.
"""
