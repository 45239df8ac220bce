"""The package's layout: subpackages in the order data flows, imports pointing down.

A module may import from its own subpackage and from any subpackage below it
in LAYERS, never from one above: the dialog engine knows nothing of voices or
files, hearing knows nothing of what words mean. No module is longer than
MAX_LINES, in the package or in the helpers, scripts and tests beside it
(LONG_CHECKED): past that, it is split along its seams.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "assistant"
LONG_CHECKED = ("assistant", "reflectkit", "scripts", "tests")
"""Folders whose Python modules are held to MAX_LINES."""
# Bottom first.
LAYERS = ("storage", "content", "models", "speech", "hearing", "understanding", "safety",
          "dialog", "voice", "cli")
MAX_LINES = 400


def imports(path: Path) -> set[str]:
    """The subpackages of ``assistant`` that ``path`` imports, anywhere in it."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            parts = node.module.split(".")
            if parts[0] == "assistant":
                if len(parts) > 1:
                    found.add(parts[1])
                else:
                    found.update(a.name for a in node.names)
        elif isinstance(node, ast.Import):
            for a in node.names:
                parts = a.name.split(".")
                if parts[0] == "assistant" and len(parts) > 1:
                    found.add(parts[1])
    return found


def test_every_module_lives_in_a_layer():
    loose = [p.name for p in PACKAGE.glob("*.py") if p.name not in ("__init__.py", "__main__.py")]
    assert not loose, f"modules outside a subpackage: {loose}"
    subpackages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert subpackages == set(LAYERS)


def test_imports_point_down():
    upward = []
    for layer in LAYERS:
        for path in sorted((PACKAGE / layer).rglob("*.py")):
            for target in imports(path):
                if target in LAYERS and LAYERS.index(target) > LAYERS.index(layer):
                    upward.append(f"{path.relative_to(PACKAGE.parent)} imports assistant.{target}")
    assert not upward, "\n".join(upward)


def test_no_module_is_too_long():
    long = []
    for folder in LONG_CHECKED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            n = len(path.read_text(encoding="utf-8").splitlines())
            if n > MAX_LINES:
                long.append(f"{path.relative_to(ROOT)}: {n} lines")
    assert not long, f"longer than {MAX_LINES} lines:\n" + "\n".join(long)


def test_the_check_sees_an_upward_import(tmp_path):
    sample = tmp_path / "m.py"
    sample.write_text("def f():\n    from assistant.voice.session import VoiceSession\n")
    assert imports(sample) == {"voice"}


def module_imports(path: Path, root: Path = PACKAGE) -> set[str]:
    """The modules inside ``root``'s package that ``path`` imports, anywhere
    in it (inside functions too), as dotted names: "assistant.cli.voice"."""
    known = {".".join((root.name, *p.relative_to(root).with_suffix("").parts))
             for p in root.rglob("*.py") if p.name != "__init__.py"}
    here = ".".join((root.name, *path.relative_to(root).with_suffix("").parts))
    found: set[str] = set()

    def add(name: str) -> None:
        if name in known:
            found.add(name)

    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:  # relative: from the module's own package up
                base = here.split(".")[:-node.level]
                module = ".".join(base + ([module] if module else []))
            add(module)
            for a in node.names:  # "from assistant.cli import voice"
                add(f"{module}.{a.name}")
        elif isinstance(node, ast.Import):
            for a in node.names:
                add(a.name)
    found.discard(here)
    return found


def import_cycles(root: Path = PACKAGE) -> list[list[str]]:
    """Each cycle of imports among the package's modules (one per cycle start)."""
    graph = {}
    for p in root.rglob("*.py"):
        if p.name == "__init__.py":
            continue
        graph[".".join((root.name, *p.relative_to(root).with_suffix("").parts))] = module_imports(p, root)
    cycles, done = [], set()

    def visit(node: str, path: list[str]) -> None:
        if node in path:
            cycles.append(path[path.index(node):] + [node])
            return
        if node in done:
            return
        for nxt in sorted(graph.get(node, ())):
            visit(nxt, path + [node])
        done.add(node)

    for start in sorted(graph):
        visit(start, [])
    return cycles


def test_no_import_cycles():
    cycles = import_cycles()
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_check_sees_an_import_cycle(tmp_path):
    pkg = tmp_path / "assistant"
    (pkg / "cli").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "cli" / "__init__.py").write_text("")
    (pkg / "cli" / "voice.py").write_text("def f():\n    from assistant.cli import doctor\n")
    (pkg / "cli" / "doctor.py").write_text("from assistant.cli.voice import f\n")
    assert import_cycles(pkg) == [["assistant.cli.doctor", "assistant.cli.voice", "assistant.cli.doctor"]]
