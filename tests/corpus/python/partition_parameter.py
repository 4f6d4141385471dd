# error: {path}:10: asset 'unsliced': parameter 'partition', but the asset has no 'partitions'. Declare them, e.g. partitions={'daily': {'start': '2024-01-01'}}
# error: {path}:15: asset 'one_file': path 'build/one_file.txt' is the same file for every partition. Put {partition} in it, e.g. "build/one_file/{partition}.csv"
"""A 'partition' parameter needs partitions; partitions need a file each."""

from pathlib import Path

from doit_assets import asset


@asset(path="build/unsliced.txt")
def unsliced(partition: str, output: Path) -> None:
    output.write_text(partition)


@asset(path="build/one_file.txt", partitions={"static": ["eu", "us"]})
def one_file(partition: str, output: Path) -> None:
    output.write_text(partition)
