"""Pictures of the asset graph: DOT, Mermaid, JSON, text lanes and the
self-contained HTML page, from plain data; no I/O.
"""
