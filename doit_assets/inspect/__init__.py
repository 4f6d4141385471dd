"""Inspecting a project without running it: each asset's status and the causes
behind it, the dry run, and the answers (as plain data) behind the query
commands.
"""
