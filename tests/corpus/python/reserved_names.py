# error: {path}:16: asset 'clean': name clashes with the doit command 'clean'. Rename it (e.g. 'clean_data'); 'doit clean' would run the command, not the asset
# error: {path}:21: asset 'list': name clashes with the doit command 'list'. Rename it (e.g. 'list_data'); 'doit list' would run the command, not the asset
# error: {path}:26: asset 'bad name': invalid asset name. Use letters, digits, '_', '-', '.' and '/'
# error: {path}:31: asset 'daily:2024': invalid asset name. ':' is reserved for partitions (KEY:PARTITION)
# error: {path}:36: asset 'vars': invalid asset name. 'vars' is reserved in templates; choose another name
"""An asset is a doit task named by its key: doit's commands are taken."""

from doit_assets import asset


@asset
def raw_visits() -> list[int]:
    return [1]


@asset
def clean(raw_visits: list[int]) -> list[int]:
    return raw_visits


@asset(name="list")
def visit_list(raw_visits: list[int]) -> list[int]:
    return raw_visits


@asset(name="bad name")
def spaced(raw_visits: list[int]) -> int:
    return 1


@asset(name="daily:2024")
def partitioned(raw_visits: list[int]) -> int:
    return 1


@asset
def vars(raw_visits: list[int]) -> int:  # noqa: A001
    return 1
