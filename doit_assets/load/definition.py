"""One asset's fields -> AssetSpec, with the same rules for ``assets.toml`` and ``@asset``.

``AssetBuilder`` checks each field with the checks of fields.py (paths,
strings, labels, ``max_age``, ``observe``, a shell transform's references),
automation.py (``automation``, ``timezone``, ``interval``),
partitioned.py (partitions and their mappings) and python.py (the function and
its parameters), appending every problem it finds (each with the location
``locate`` gives for that field) instead of stopping at the first.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from ..errors import did_you_mean
from ..model.spec import AssetKey, AssetSpec
from ..model.values import observation_path, value_path
from . import fields, partitioned, python
from .automation import asset_automation
from .checks import declared_checks
from .environment import asset_environment
from .fields import Checker, Locate
from .pathnames import name_problem

ASSET_KEYS = (
    "path",
    "transform",
    "python",
    "depends_on",
    "inputs",
    "description",
    "metadata",
    "code_version",
    "io",
    "ins",
    "group",
    "tags",
    "max_age",
    "observe",
    "partitions",
    "partition_mapping",
    # retries, timeouts, pools and on_failure (issue 14)
    "retries",
    "retry_delay",
    "timeout",
    "pool",
    "on_failure",
    "checks",
    # when watch and tick make it (issue 15)
    "automation",
    "timezone",
    "interval",
    # its environment (issue 16)
    "env",
    "requires",
    # the installed distributions in the code version (issue 16)
    "track_packages",
)
_KNOWN = frozenset(ASSET_KEYS)


class AssetBuilder(Checker):
    """Validate asset tables; problems go to ``problems``, and the field that
    names each dependency to ``dep_fields``."""

    def __init__(
        self,
        locate: Locate,
        variables: Mapping[str, str],
        root: str,
        *,
        decorator: bool = False,
        timezone: str = "UTC",
        broken_vars: Collection[str] = (),
    ) -> None:
        super().__init__(
            locate,
            variables,
            root,
            decorator=decorator,
            timezone=timezone,
            broken_vars=broken_vars,
        )
        self.dep_fields: dict[tuple[str, str], str] = {}  # (asset, dep) -> field
        # Assets left out for their own problems, kept with their dependencies
        # so that the graph can still report an unknown one among them.
        self.partial: list[AssetSpec] = []

    def build(self, name: str, table: object) -> AssetSpec | None:
        """The spec of one asset, or None when it has problems (then reported)."""
        before = len(self.problems)
        self.skipped = False
        hint = name_problem(name)
        if hint is not None:
            self.fail(name, "", "invalid asset name", hint)
        if not isinstance(table, dict):
            self.fail(name, "", f"must be a table, got {self.type_of(table)}")
            return None
        self._unknown_keys(name, table)
        transform = fields.no_nul(
            self, name, "transform", fields.optional_str(self, name, table, "transform")
        )
        function = python.function(self, name, table)
        if transform is not None and function is not None:
            self.fail(
                name,
                "python",
                "has both 'transform' and 'python'",
                "Keep one: a shell command or a Python function",
            )
        io = python.io(self, name, table, function)
        observe = fields.observe(
            self, name, table, transform is None and function is None
        )
        partitions = partitioned.partitions(self, name, table, observe)
        if io is not None and partitions is not None:
            paths = [value_path(name + "/{partition}", io)]
        elif io is not None:
            paths = [value_path(name, io)]
        elif observe is not None:
            paths = [observation_path(name)]
        else:
            paths = fields.paths(self, name, table)
        fields.lengths(
            self, name, paths, partitions, derived=io is not None or bool(observe)
        )
        depends_on = [
            dep
            for dep in fields.strings(self, name, table, "depends_on")
            if fields.no_nul(self, name, "depends_on", dep) is not None
        ]
        inputs = fields.strings(self, name, table, "inputs")
        for pattern in inputs:
            if fields.relative(self, name, "inputs", pattern):
                fields.lengths(self, name, [pattern], None, field="inputs")
        description = fields.optional_str(self, name, table, "description")
        code_version = fields.optional_str(self, name, table, "code_version")
        metadata = fields.metadata(self, name, table)
        is_source = transform is None and function is None
        group = fields.label(self, name, table, "group", table.get("group", "default"))
        tags = [
            fields.label(self, name, table, "tags", t)
            for t in fields.strings(self, name, table, "tags")
        ]
        max_age = fields.max_age(self, name, table, is_source)
        run_options = fields.run_options(
            self, name, table, is_source, function is not None
        )
        automation = asset_automation(
            self, name, table, is_source=is_source, observable="observe" in table
        )
        environment = asset_environment(self, name, table)
        if is_source and environment:
            self.fail(
                name,
                "env" if "env" in environment else "requires",
                "a source asset runs nothing: 'env' and 'requires' are for transforms",
                "Remove them, or add a 'transform'",
            )
        track_packages = fields.track_packages(self, name, table)
        if is_source and "transform" not in table and depends_on:
            self.fail(
                name,
                "depends_on",
                "a source asset cannot have 'depends_on'",
                "Add a 'transform' that makes it from its dependencies",
            )
        refs: list[str] = []
        params: list[tuple[str, AssetKey | None]] = []
        if partitions is not None or "partitions" not in table:  # else reported
            partitioned.partition_paths(self, name, paths, partitions, io is not None)
        if transform is not None:
            refs = fields.template_refs(
                self, name, transform, paths, partitions, "partitions" in table
            )
        elif function is not None:
            # A Python asset without a path is a value asset (even if its
            # store is misnamed: that is reported on its own).
            params = python.params(
                self, name, table, function, value="path" not in table
            )
            refs = [str(dep) for _, dep in params if dep is not None]
        for field, named in (("depends_on", depends_on), ("python", refs)):
            for dep in named:
                self.dep_fields.setdefault((name, dep), field)
        if transform is not None:
            for dep in refs:
                self.dep_fields[(name, dep)] = "transform"
        deps = tuple(dict.fromkeys(AssetKey(d) for d in (*depends_on, *refs)))
        mappings = partitioned.mappings(self, name, table, deps)
        checks = declared_checks(
            self,
            name,
            table,
            paths=paths,
            deps=deps,
            partitions=partitions,
            is_source=is_source,
            value=io is not None,
        )
        # a blocking check's schema decides what is published: an input
        inputs = [
            *inputs,
            *(
                str(c.argument)
                for c in checks
                if c.kind == "json_schema" and c.blocking and c.argument not in inputs
            ),
        ]
        if len(self.problems) > before or self.skipped:
            where = self.locate(name, "")
            self.partial.append(
                AssetSpec(AssetKey(name), (), deps=deps, location=where)
            )
            return None
        return AssetSpec(
            key=AssetKey(name),
            paths=tuple(paths),
            transform=function if function is not None else transform,
            deps=deps,
            inputs=tuple(inputs),
            description=description,
            metadata=metadata,
            code_version=code_version,
            location=self.locate(name, ""),
            io=io,
            params=tuple(params),
            group=group,
            tags=tuple(dict.fromkeys(tags)),
            max_age=max_age,
            observe=observe,
            partitions=partitions,
            mappings=mappings,
            **run_options,
            checks=tuple(checks),
            **automation,
            **environment,
            track_packages=track_packages,
        )

    def _unknown_keys(self, name: str, table: dict[str, Any]) -> None:
        if _KNOWN.issuperset(table):
            return  # most tables: a set is quicker than the scan of a tuple
        allowed = ASSET_KEYS + (("name",) if self.decorator else ())
        for field, value in table.items():
            if field in allowed:
                continue
            hint = did_you_mean(field, allowed) or "Allowed: " + ", ".join(allowed)
            if isinstance(value, dict) and not self.decorator:
                # [assets.raw.orders] makes a table 'orders' inside asset 'raw'
                hint = f"To name an asset '{name}.{field}', quote it: [assets.\"{name}.{field}\"]"
            self.fail(name, field, f"unknown key '{field}'", hint)
