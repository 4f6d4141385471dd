"""The asset model: keys and specs, the graph and its one traversal, templates,
selections, partitions and their mappings, time, value stores.

Plain data and pure functions: nothing here reads the disk or imports doit.
Every other layer builds on it.
"""
