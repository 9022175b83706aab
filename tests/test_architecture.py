"""The package's shape: imports flow one way along the data flow, and never in a circle.

The graph is built from the source (AST), every import counted, also those inside
functions and under ``TYPE_CHECKING``: a cycle there is still two modules that
need each other.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "dossier"
#: Stages in the order data flows; a module may import its own stage and those before it.
STAGES = ("data", "ingest", "content", "run", "share", "cli")
#: Stages beside the flow: what writes the data folder (``ingest``) is imported by the command line only.
BESIDE = {"ingest": ("cli",)}
TOP = ("errors", "catalogue", "resources")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


def resolve(importer: str, is_package: bool, node: ast.ImportFrom) -> list[str]:
    if node.level == 0:
        base = node.module or ""
    else:
        parts = importer.split(".")
        package = parts if is_package else parts[:-1]
        package = package[: len(package) - (node.level - 1)]
        base = ".".join([*package, *([node.module] if node.module else [])])
    return [f"{base}.{alias.name}" for alias in node.names] + [base]


def import_graph() -> dict[str, set[str]]:
    known = modules()
    graph: dict[str, set[str]] = {name: set() for name in known}
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                targets = resolve(name, path.name == "__init__.py", node)
            else:
                continue
            for target in targets:
                # "from .pkg import module" names a module; "from .module import name" the module.
                while target and target not in known:
                    target = target.rpartition(".")[0]
                if target and target != name and target.startswith("dossier."):
                    graph[name].add(target)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def stage(module: str) -> int | None:
    parts = module.split(".")
    return STAGES.index(parts[1]) if len(parts) > 1 and parts[1] in STAGES else None


def test_the_import_graph_is_read_from_the_source():
    graph = import_graph()
    assert "dossier.data.validate" in graph["dossier.content.context"]
    assert "dossier.errors" in graph["dossier.data.checks"]
    # A function-level import counts too.
    assert "dossier.run.render" in graph["dossier.cli.render"]


def test_the_package_has_no_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_cycle_finder_names_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_imports_flow_along_the_data_flow():
    against = []
    for importer, targets in import_graph().items():
        here = stage(importer)
        for target in targets:
            there = stage(target)
            if there is not None and (here is None or there > here):
                against.append(f"{importer} imports {target}")
    assert not against, "imports against the flow " + " > ".join(STAGES) + ":\n" + "\n".join(sorted(against))


def test_a_stage_beside_the_flow_is_imported_only_by_those_it_names():
    wrong = []
    for importer, targets in import_graph().items():
        here = importer.split(".")[1] if importer.count(".") else None
        for target in targets:
            there = target.split(".")[1] if target.count(".") else None
            if there in BESIDE and here != there and here not in BESIDE[there]:
                wrong.append(f"{importer} imports {target}")
    assert not wrong, "\n".join(sorted(wrong))


def test_top_level_holds_only_what_every_stage_shares():
    top = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__"}
    top |= {p.parent.name for p in PACKAGE.glob("*/__init__.py")} - set(STAGES)
    assert top == set(TOP)


def test_no_module_anywhere_is_over_650_lines():
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 650}  # fmt: skip
    assert not long, f"split these by concern: {long}"


def test_no_function_anywhere_is_over_80_lines():
    long = {}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            is_function = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            if is_function and (n := node.end_lineno - node.lineno + 1) > 80:
                long[f"{path.relative_to(PACKAGE)}:{node.name}"] = n
    assert not long, f"tell these as short named steps: {long}"


#: The names Python's ``signal`` module has on Windows (its documentation's list).
WINDOWS_SIGNALS = {"SIGABRT", "SIGFPE", "SIGILL", "SIGINT", "SIGSEGV", "SIGTERM", "SIGBREAK",
                   "CTRL_C_EVENT", "CTRL_BREAK_EVENT"}  # fmt: skip


def signals_used_on_import(tree: ast.Module) -> set[str]:
    """The ``signal.SIG…`` names a module reads as it is imported: not in a function's body
    (a default value is read at import)."""
    found, stack = set(), [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            stack += [d for d in (*node.args.defaults, *node.args.kw_defaults) if d is not None]
            continue
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id == "signal" and node.attr.startswith(("SIG", "CTRL_"))
                and not node.attr.startswith("SIG_")):  # fmt: skip
            found.add(node.attr)
        stack += ast.iter_child_nodes(node)
    return found


def test_no_module_reads_a_signal_windows_lacks_as_it_is_imported():
    """The portable core imports on Windows: a signal only Linux has is read where it is used."""
    found = {str(p.relative_to(PACKAGE)): sorted(signals_used_on_import(ast.parse(p.read_text(encoding="utf-8"))) - WINDOWS_SIGNALS)
             for p in PACKAGE.rglob("*.py")}  # fmt: skip
    assert {name: used for name, used in found.items() if used} == {}
    tree = ast.parse("import signal\nA = (signal.SIGCHLD,)\ndef f(x=signal.SIGHUP):\n    return signal.SIGUSR1\n")
    assert signals_used_on_import(tree) == {"SIGCHLD", "SIGHUP"}


@pytest.mark.parametrize("folder", STAGES)
def test_each_stage_says_what_it_does_and_may_import(folder):
    doc = ast.get_docstring(ast.parse((PACKAGE / folder / "__init__.py").read_text(encoding="utf-8")))
    assert doc, f"{folder}/__init__.py has no docstring"
    assert "import" in doc.lower(), f"{folder}/__init__.py does not say what it may import"


def test_analysts_notebooks_still_import_sections_by_its_short_name():
    from dossier import sections

    assert callable(sections.open_case) and callable(sections.summary)


# -- The tests stand alone: what they share is in conftest.py, and no test module imports another

TESTS = Path(__file__).resolve().parent


def parsed_test_modules() -> dict[str, ast.Module]:
    return {p.stem: ast.parse(p.read_text(encoding="utf-8"), filename=str(p)) for p in sorted(TESTS.glob("test_*.py"))}


def imported_modules(tree: ast.Module) -> set[str]:
    """Every module a module imports, at its top or inside a function."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def defined_names(tree: ast.Module) -> set[str]:
    """The names a module binds at its top: constants, functions, classes."""
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
    return names


def test_no_test_module_imports_another():
    modules = parsed_test_modules()
    found = {name: sorted(imported_modules(tree) & set(modules)) for name, tree in modules.items()}
    assert {name: others for name, others in found.items() if others} == {}


def test_what_conftest_shares_is_defined_there_only():
    conftest = ast.parse((TESTS / "conftest.py").read_text(encoding="utf-8"))
    shared = {name for name in defined_names(conftest) if not name.startswith("_")}
    found = {name: sorted(defined_names(tree) & shared) for name, tree in parsed_test_modules().items()}
    assert {name: again for name, again in found.items() if again} == {}


def test_the_checks_of_the_tests_find_what_they_look_for():
    tree = ast.parse("from test_mail import parse\nSAMPLE_DATA = 1\ndef f():\n    import test_x.y\n")
    assert imported_modules(tree) == {"test_mail", "test_x"}
    assert defined_names(tree) == {"SAMPLE_DATA", "f"}
