"""Transform templates: ``{self.path}``, ``{NAME.path}``, ``{NAME.paths}``, ``{vars.NAME}``,
``{partition}`` and ``{partition.DIMENSION}``.

``{{`` and ``}}`` are literal braces. A template is parsed once into literal text
and references; rendering substitutes each reference through a callback, so the
same parse serves fingerprints (final paths) and execution (staging paths).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

PATH_ATTRIBUTES = ("path", "paths")
# What a reference may contain: asset keys, dots and attribute names.
_REF_CHARS = re.compile(r"[A-Za-z0-9_./-]+")


@dataclass(frozen=True, slots=True)
class Ref:
    """``{scope.attr}``: scope is ``self``, ``vars``, ``partition`` or an asset key.

    ``{partition}`` has an empty attr; ``{partition.NAME}`` names a dimension.
    """

    scope: str
    attr: str
    col: int  # 1-based column of the opening brace, for messages

    @property
    def text(self) -> str:
        if not self.attr:
            return "{" + self.scope + "}"
        return "{" + f"{self.scope}.{self.attr}" + "}"


@dataclass(frozen=True, slots=True)
class Template:
    parts: tuple[str | Ref, ...]
    # the references of parts, kept: the loader reads them several times
    refs: tuple[Ref, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        refs = tuple(p for p in self.parts if isinstance(p, Ref))
        object.__setattr__(self, "refs", refs)

    def render(self, resolve: Callable[[Ref], str]) -> str:
        return "".join(p if isinstance(p, str) else resolve(p) for p in self.parts)


class TemplateError(ValueError):
    def __init__(self, problem: str, hint: str | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.hint = hint


@cache
def parse_template(text: str) -> Template:
    """Split a template into literals and references, or raise TemplateError.

    Cached: the loader checks each template and the task builder renders it.
    """
    if "{{" in text or "}}" in text or "${" in text:
        return _parse_escaped(text)
    # Most templates: no literal braces, so each reference is found with
    # str.find instead of a walk character by character. Anything unusual
    # goes to the walk, which reports the first problem.
    parts: list[str | Ref] = []
    i = 0
    while True:
        start = text.find("{", i)
        if start == -1:
            tail = text[i:]
            if "}" in tail:
                return _parse_escaped(text)
            if tail:
                parts.append(tail)
            return Template(tuple(parts))
        end = text.find("}", start + 1)
        literal = text[i:start]
        if end == -1 or "}" in literal or "{" in text[start + 1 : end]:
            return _parse_escaped(text)
        if literal:
            parts.append(literal)
        parts.append(_parse_ref(text[start + 1 : end], start + 1))
        i = end + 1


def _parse_escaped(text: str) -> Template:
    """parse_template, one character at a time: literal braces and problems."""
    parts: list[str | Ref] = []
    literal: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "{" and text.startswith("{{", i):
            literal.append("{")
            i += 2
        elif ch == "}" and text.startswith("}}", i):
            literal.append("}")
            i += 2
        elif ch == "}":
            raise TemplateError(
                f"unbalanced '}}' at column {i + 1} of transform",
                "Write '}}' for a literal brace",
            )
        elif ch == "{":
            end = text.find("}", i + 1)
            inner_open = text.find("{", i + 1)
            if end == -1 or (inner_open != -1 and inner_open < end):
                raise TemplateError(
                    f"unbalanced '{{' at column {i + 1} of transform",
                    "Write '{{' for a literal brace",
                )
            if i and text[i - 1] == "$":
                raise TemplateError(
                    f"'${{{text[i + 1 : end]}}}' at column {i} of transform is a "
                    "shell variable, not a reference",
                    "Write '${{NAME}}' (doubled braces) or '$NAME'",
                )
            if literal:
                parts.append("".join(literal))
                literal = []
            parts.append(_parse_ref(text[i + 1 : end], i + 1))
            i = end + 1
        else:
            literal.append(ch)
            i += 1
    if literal:
        parts.append("".join(literal))
    return Template(tuple(parts))


LITERAL_HINT = "Write '{{' and '}}' for literal braces, as in awk '{{print $1}}'"


def _parse_ref(inner: str, col: int) -> Ref:
    body = inner.strip()
    if not body:
        raise TemplateError(
            f"empty reference '{{}}' at column {col} of transform",
            "Write '{{}}' for literal braces",
        )
    if not _REF_CHARS.fullmatch(body):
        raise TemplateError(
            f"'{{{inner}}}' at column {col} of transform is not a reference",
            LITERAL_HINT,
        )
    if body.startswith("vars."):
        name = body[len("vars.") :]
        if not name:
            raise TemplateError(
                f"'{{{body}}}' at column {col} of transform names no variable",
                "Write '{vars.NAME}' with a NAME declared under [vars]",
            )
        return Ref("vars", name, col)
    if body == "partition":
        return Ref("partition", "", col)
    if body.startswith("partition."):
        return Ref("partition", body[len("partition.") :], col)
    scope, dot, attr = body.rpartition(".")
    if not dot:
        raise TemplateError(
            f"reference '{{{body}}}' names no attribute",
            f"Write '{{{body}.path}}'",
        )
    return Ref(scope, attr, col)
