"""The product's shape (issue 17): pipeline/ imports nothing from the tests or the benchmarks,
and its modules import each other without a cycle (build and release, cli and demo, ingest's
run and figures each imported the other, hidden by imports inside functions).  Every import
counts, a function's own included; `from package import module` is an import of the module."""

from __future__ import annotations

import ast

from pipeline import paths

PRODUCT = paths.ROOT / "pipeline"


def _modules() -> dict[str, ast.Module]:
    out = {}
    for p in sorted(PRODUCT.rglob("*.py")):
        parts = list(p.relative_to(paths.ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = (p, ast.parse(p.read_text(encoding="utf-8")))
    return out


def _imports(name: str, path, tree: ast.Module, known: set[str]) -> set[str]:
    """Every module this one imports, at any depth of its code."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            module = ".".join([*base, node.module] if node.module else base)
            submodules = {f"{module}.{a.name}" for a in node.names} & known
            out |= submodules
            if len(submodules) < len(node.names):
                out.add(module)
    return out


def test_the_product_imports_neither_tests_nor_benchmarks():
    modules = _modules()
    for name, (path, tree) in modules.items():
        bad = {m for m in _imports(name, path, tree, set(modules)) if m.split(".")[0] in ("tests", "bench")}
        assert not bad, f"{path.relative_to(paths.ROOT)} imports {sorted(bad)}"


def test_no_module_of_the_product_is_part_of_an_import_cycle():
    modules = _modules()
    graph = {n: {m for m in _imports(n, p, t, set(modules)) if m in modules and m != n} for n, (p, t) in modules.items()}

    def reaches(start: str, goal: str) -> list[str] | None:
        seen, stack = set(), [(start, [start])]
        while stack:
            node, trail = stack.pop()
            for nxt in graph[node]:
                if nxt == goal:
                    return [*trail, nxt]
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*trail, nxt]))
        return None

    cycles = [" -> ".join(c) for n in sorted(graph) if (c := reaches(n, n))]
    assert not cycles, "import cycles:\n  " + "\n  ".join(cycles)
    assert len(graph) > 50  # the walk saw the whole package


def test_no_product_file_grows_past_a_reading():
    # A module a newcomer reads in one sitting: about 500 lines, 560 at most (the three
    # longest, ingest/figures.py, sources_add.py and the query-isolation plugin, are near it).
    long = {p.relative_to(paths.ROOT).as_posix(): n for p in (paths.ROOT / "pipeline").rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 560}
    assert long == {}, "split by what the code does (see the stage folders)"
