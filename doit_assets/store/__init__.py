"""What doit-assets keeps on disk: the history of materializations (schema,
writes, queries), the one reader of doit's saved state, and the versions
(digests) of files and folders that both record.
"""
