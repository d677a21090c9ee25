"""The code's shape: each stage imports only the stages below it, no import cycles, no SQL in the CLI,
and tests share helpers through tests/support/ rather than importing each other."""

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "tracker"
# The stages in the order data flows through them; each may import only those before it.
LAYERS = ("core", "papers", "articles", "claims", "link", "export", "ops", "serve", "bench", "cli")


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, name: str | None = None) -> set[str]:
    """The tracker modules a file imports, as absolute names (`name`: the module the file is)."""
    name = name or module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("tracker"):
                found.add(target)
                found.update(f"{target}.{alias.name}" for alias in node.names
                             if (PACKAGE.parent / f"{target}.{alias.name}".replace(".", "/")).with_suffix(".py").exists())
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("tracker"))
    return found


def stage_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def test_every_module_lives_in_a_stage():
    loose = [m for m in MODULES if m != "tracker" and stage_of(m) not in LAYERS]
    assert loose == []


def climbing_imports(modules: dict) -> list[str]:
    climbing = []
    for module, path in modules.items():
        own = stage_of(module)
        for target in imports_of(path, module):
            theirs = stage_of(target)
            if own and theirs and LAYERS.index(theirs) > LAYERS.index(own):
                climbing.append(f"{module} imports {target}")
    return climbing


def test_no_import_runs_back_up_a_stage():
    assert climbing_imports(MODULES) == []


def test_no_import_cycles():
    graph = {m: {t for t in imports_of(p) if t in MODULES and t != m} for m, p in MODULES.items()}
    state: dict[str, str] = {}
    cycles = []

    def visit(node, trail):
        state[node] = "open"
        for target in graph[node]:
            if state.get(target) == "open":
                cycles.append(" -> ".join(trail[trail.index(target):] + [target]))
            elif target not in state:
                visit(target, trail + [target])
        state[node] = "done"

    for module in graph:
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_the_layout_check_sees_a_climbing_import(tmp_path):
    # The checker itself: relative and absolute imports of a later stage are both caught.
    relative = tmp_path / "relative.py"
    relative.write_text("from ..link.link import link_claims\n", encoding="utf-8")
    absolute = tmp_path / "absolute.py"
    absolute.write_text("import tracker.ops.job\nfrom ..core import paths\n", encoding="utf-8")
    found = climbing_imports({"tracker.papers.relative": relative, "tracker.claims.absolute": absolute})
    assert found == ["tracker.papers.relative imports tracker.link.link",
                     "tracker.claims.absolute imports tracker.ops.job"]


SQL = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE)\b.*\b(FROM|INTO|SET)\b|\.execute\(|\.query\(")


def test_the_command_line_holds_no_sql():
    offending = [f"{path.name}:{number}" for path in sorted((PACKAGE / "cli").glob("*.py"))
                 for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
                 if SQL.search(line)]
    assert offending == []


def test_tests_do_not_import_each_other():
    tests = REPO / "tests"
    offending = []
    for path in sorted(tests.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[-1].startswith("test_"):
                offending.append(f"{path.relative_to(tests)} imports {node.module}")
    assert offending == []
