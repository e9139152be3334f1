"""The package layering holds: no import cycles between tilewise's packages."""

from __future__ import annotations

import ast
from pathlib import Path

import tilewise

SOURCE = Path(tilewise.__file__).parent


def _package(module: str) -> str:
    """tilewise.plan.select -> plan; tilewise.host -> host; tilewise -> tilewise."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "tilewise"


def package_imports() -> dict[str, set[str]]:
    """package -> packages it imports (module level or inside functions)."""
    edges: dict[str, set[str]] = {}
    for path in SOURCE.rglob("*.py"):
        relative = path.relative_to(SOURCE.parent).with_suffix("")
        module = ".".join(relative.parts).removesuffix(".__init__")
        own = _package(module)
        targets = edges.setdefault(own, set())
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                if node.module == "tilewise":  # from tilewise import zoo
                    targets.update(alias.name for alias in node.names)
                elif node.module.startswith("tilewise."):
                    targets.add(_package(node.module))
            elif isinstance(node, ast.Import):
                targets.update(
                    _package(a.name) for a in node.names if a.name.startswith("tilewise.")
                )
        targets.discard(own)
    return edges


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1 on the stack, 2 done

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 1:
                return path[path.index(target) :] + [target] if target in path else [node, target]
            if target not in state and (cycle := visit(target, path + [target])):
                return cycle
        state[node] = 2
        return None

    for start in sorted(edges):
        if start not in state and (cycle := visit(start, [start])):
            return cycle
    return None


def test_no_import_cycles_between_packages():
    edges = package_imports()
    edges.pop("tilewise", None)  # the public API module imports everything, nothing imports it
    assert find_cycle(edges) is None, f"import cycle: {' -> '.join(find_cycle(edges))}"


def test_cycle_finder_finds_a_planted_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


CONSUMERS = {"bench", "cli"}  # the top layer: they use the public API like any user


def test_only_consumers_import_the_public_api_module():
    importers = {p for p, targets in package_imports().items() if "tilewise" in targets}
    assert importers <= CONSUMERS, f"{importers - CONSUMERS} import `tilewise`; import modules"
