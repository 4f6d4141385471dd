"""AssetGraph: order, upstream/downstream walks, and whole-graph validation."""

from __future__ import annotations

import pytest

from doit_assets import (
    AssetError,
    AssetGraph,
    AssetKey,
    AssetSpec,
    Location,
    build_graph,
)
from doit_assets.errors import (
    AssetCycleError,
    AssetDefinitionError,
    AssetValidationError,
    DuplicateAssetError,
    UnknownDependencyError,
)


def spec(
    key: str, *deps: str, paths: tuple[str, ...] | None = None, line: int = 1
) -> AssetSpec:
    return AssetSpec(
        key=AssetKey(key),
        paths=paths or (f"out/{key}",),
        transform=None if key.startswith("raw") else f"make {key}",
        deps=tuple(AssetKey(d) for d in deps),
        location=Location("assets.toml", line),
    )


# raw -> clean -> features -> model -> report
#           \---> stats ----/
PIPELINE = [
    spec("report", "model", line=1),
    spec("model", "features", "stats", line=2),
    spec("stats", "clean", line=3),
    spec("features", "clean", line=4),
    spec("clean", "raw", line=5),
    spec("raw", line=6),
    spec("unrelated", line=7),
]


@pytest.fixture
def graph() -> AssetGraph:
    return build_graph(PIPELINE)


def test_graph_orders_every_asset_after_its_upstreams(graph: AssetGraph) -> None:
    order = [s.key for s in graph]
    assert sorted(order) == sorted(s.key for s in PIPELINE)
    for s in graph:
        for dep in s.deps:
            assert order.index(dep) < order.index(s.key), (dep, s.key)


def test_graph_supports_len_contains_and_lookup(graph: AssetGraph) -> None:
    assert len(graph) == 7
    assert "model" in graph
    assert "nothing" not in graph
    assert graph["model"].deps == ("features", "stats")


def test_upstream_of_lists_everything_needed_nearest_first(graph: AssetGraph) -> None:
    assert graph.upstream_of("model") == ["features", "stats", "clean", "raw"]
    assert graph.upstream_of("report") == [
        "model",
        "features",
        "stats",
        "clean",
        "raw",
    ]


def test_upstream_of_stops_at_the_given_depth(graph: AssetGraph) -> None:
    assert graph.upstream_of("report", depth=0) == []
    assert graph.upstream_of("report", depth=1) == ["model"]
    assert graph.upstream_of("report", depth=2) == ["model", "features", "stats"]
    assert graph.upstream_of("report", depth=3) == [
        "model",
        "features",
        "stats",
        "clean",
    ]
    assert graph.upstream_of("report", depth=99) == graph.upstream_of("report")


def test_upstream_of_a_source_is_empty(graph: AssetGraph) -> None:
    assert graph.upstream_of("raw") == []


def test_downstream_of_lists_everything_that_needs_it_nearest_first(
    graph: AssetGraph,
) -> None:
    assert graph.downstream_of("raw") == [
        "clean",
        "stats",
        "features",
        "model",
        "report",
    ]
    assert graph.downstream_of("features") == ["model", "report"]
    assert graph.downstream_of("report") == []
    assert graph.downstream_of("unrelated") == []


def test_downstream_of_stops_at_the_given_depth(graph: AssetGraph) -> None:
    assert graph.downstream_of("clean", depth=1) == ["stats", "features"]
    assert graph.downstream_of("clean", depth=2) == ["stats", "features", "model"]
    assert graph.downstream_of("clean", depth=0) == []


def test_walks_return_asset_keys(graph: AssetGraph) -> None:
    assert all(isinstance(k, AssetKey) for k in graph.upstream_of("report"))
    assert all(isinstance(k, AssetKey) for k in graph.downstream_of("raw"))


def test_downstream_mapping_lists_direct_dependents(graph: AssetGraph) -> None:
    assert set(graph.downstream["clean"]) == {"stats", "features"}
    assert "report" not in graph.downstream


def test_unknown_dependency_suggests_close_match() -> None:
    with pytest.raises(UnknownDependencyError) as exc:
        build_graph([spec("revenue"), spec("report", "revenu", line=4)])
    assert str(exc.value) == (
        "assets.toml:4: asset 'report': unknown dependency 'revenu'. "
        "Did you mean 'revenue'?"
    )
    assert exc.value.key == "report"


def test_known_keys_with_own_problems_are_not_unknown_dependencies() -> None:
    graph = build_graph([spec("report", "broken")], known_keys={"broken"})
    assert [s.key for s in graph] == ["report"]


def test_same_key_twice_is_reported_with_the_first_location() -> None:
    with pytest.raises(DuplicateAssetError) as exc:
        build_graph([spec("a", line=2), spec("a", line=9, paths=("out/b",))])
    assert str(exc.value) == (
        "assets.toml:9: asset 'a': declared twice (first at assets.toml:2). "
        "Rename one of them"
    )


def test_reserved_names_clash_with_doit_commands() -> None:
    with pytest.raises(AssetDefinitionError) as exc:
        build_graph([spec("info", line=3)], reserved_names={"info"})
    assert str(exc.value) == (
        "assets.toml:3: asset 'info': name clashes with the doit command 'info'. "
        "Rename it (e.g. 'info_data'); 'doit info' would run the command, not "
        "the asset"
    )


def test_no_reserved_names_by_default() -> None:
    assert [s.key for s in build_graph([spec("list")])] == ["list"]


def test_cycle_reads_as_depends_on_from_the_first_declared_member() -> None:
    specs = [
        spec("x", line=1),
        spec("b", "c", line=2),
        spec("a", "b", line=5),
        spec("c", "a", line=8),
    ]
    with pytest.raises(AssetCycleError) as exc:
        build_graph(specs)
    assert exc.value.cycle == ("b", "c", "a", "b")
    assert str(exc.value) == "assets.toml:2: dependency cycle: b -> c -> a -> b"


def test_cycle_message_shows_no_python_tuples() -> None:
    with pytest.raises(AssetCycleError) as exc:
        build_graph([spec("a", "b"), spec("b", "a")])
    assert "(" not in str(exc.value)
    assert "'" not in str(exc.value)


def test_self_dependency_is_a_cycle_of_one() -> None:
    with pytest.raises(AssetCycleError) as exc:
        build_graph([spec("a", "a", line=3)])
    assert exc.value.cycle == ("a", "a")
    assert str(exc.value) == "assets.toml:3: dependency cycle: a -> a"


def test_two_assets_with_one_path() -> None:
    specs = [spec("a", paths=("out/x",)), spec("b", paths=("out/x",), line=4)]
    with pytest.raises(DuplicateAssetError) as exc:
        build_graph(specs)
    assert str(exc.value) == (
        "assets.toml:4: asset 'b': path 'out/x' is also the path of asset 'a'. "
        "Each file has exactly one asset that makes it"
    )


def test_a_file_inside_another_assets_directory_output() -> None:
    specs = [
        spec("deep", paths=("out/plots/a/b.png",), line=1),
        spec("plots", paths=("out/plots/",), line=4),
    ]
    with pytest.raises(DuplicateAssetError) as exc:
        build_graph(specs)
    assert str(exc.value) == (
        "assets.toml:1: asset 'deep': path 'out/plots/a/b.png' is inside "
        "'out/plots', the directory output of asset 'plots'. Each file has exactly "
        "one asset that "
        "makes it"
    )


def test_a_file_next_to_a_directory_output_is_fine() -> None:
    specs = [spec("plots", paths=("out/plots/",)), spec("x", paths=("out/plots.png",))]
    assert len(build_graph(specs)) == 2


def test_a_path_below_another_assets_file_output_is_reported() -> None:
    # 'out/a' is a file, so nothing can ever be written at 'out/a/b'.
    specs = [spec("a", paths=("out/a",), line=1), spec("b", paths=("out/a/b",), line=4)]
    with pytest.raises(AssetError) as exc:
        build_graph(specs)
    assert str(exc.value) == (
        "assets.toml:4: asset 'b': path 'out/a/b' is inside 'out/a', the file output "
        "of asset 'a'. Each file has exactly one asset that makes it"
    )


def test_the_same_path_twice_in_one_asset_is_reported() -> None:
    with pytest.raises(AssetError) as exc:
        build_graph([spec("dup", paths=("out/x", "out/x"), line=3)])
    assert str(exc.value) == (
        "assets.toml:3: asset 'dup': path 'out/x' is listed twice. Remove one of them"
    )


def test_every_problem_is_reported_at_once_sorted_by_line() -> None:
    given = AssetDefinitionError(
        "missing required key 'path'",
        location=Location("assets.toml", 5),
        key="late",
    )
    specs = [
        spec("a", "b", line=10),
        spec("b", "a", line=20),
        spec("c", "nope", line=2),
    ]
    with pytest.raises(AssetValidationError) as exc:
        build_graph(specs, problems=[given])
    assert str(exc.value).splitlines() == [
        "assets.toml:2: asset 'c': unknown dependency 'nope'",
        "assets.toml:5: asset 'late': missing required key 'path'",
        "assets.toml:10: dependency cycle: a -> b -> a",
    ]
    assert isinstance(exc.value, AssetError)


def test_ambiguous_dependency_path_in_template() -> None:
    specs = [
        spec("split", paths=("out/a", "out/b")),
        AssetSpec(
            key=AssetKey("model"),
            paths=("out/model",),
            transform="train {split.path} {self.path}",
            deps=(AssetKey("split"),),
            location=Location("assets.toml", 7),
        ),
    ]
    with pytest.raises(AssetDefinitionError) as exc:
        build_graph(specs)
    assert str(exc.value) == (
        "assets.toml:7: asset 'model': '{split.path}' is ambiguous: 'split' has "
        "2 paths. Use '{split.paths}'"
    )


def test_where_callback_chooses_the_location_of_each_problem() -> None:
    def where(s: AssetSpec, field: str) -> Location:
        return Location("custom.toml", 100, 1 if field == "dep:nope" else 2)

    with pytest.raises(UnknownDependencyError) as exc:
        build_graph([spec("a", "nope")], where=where)
    assert str(exc.value) == "custom.toml:100:1: asset 'a': unknown dependency 'nope'"
