# error: {path}:13: asset 'merged_parts': parameter 'parts' cannot be *args or **kwargs. Name each upstream asset as a parameter
# error: {path}:18: asset 'gathered_parts': parameter 'rest' cannot be *args or **kwargs. Name each upstream asset as a parameter
"""Upstream assets are named one by one: no *args, no **kwargs."""

from doit_assets import asset


@asset
def first_part() -> int:
    return 1


@asset
def merged_parts(*parts: int) -> int:
    return sum(parts)


@asset
def gathered_parts(first_part: int, **rest: int) -> int:
    return first_part
