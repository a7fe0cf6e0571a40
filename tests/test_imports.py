"""No module reaches into another module's private names; the core pipeline stays small.

The rule, for every module under ``src/intervention_rules``:

- A name that starts with one underscore (``_Context``, not ``__all__``) is private to the module
  that defines it. No other module imports it (``from ._validate import _Context`` is refused).
- Private *modules* are the package's own building blocks: any module of the package may import
  a private module or the public names it defines (``from .._yaml import Located``,
  ``from . import _engine``). What a private module offers other modules it names in ``__all__``.
- No module reads a private attribute of another object (``ruleset._definition``): only
  ``self._x`` and ``cls._x``, or a private name the same module defines (another instance of a
  class the module declares).

Tests use the public API, except where they test a private module's own behaviour: they may import
private modules, but a private *name* only where it is listed below with the reason.
"""

from __future__ import annotations

import ast
import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "intervention_rules"

#: Tests that import a private name, and why (each tests that private module's own behaviour).
TESTS_MAY_IMPORT = {
    ("test_testing.py", "_thresholds"): "the operand thresholds of the property strategies",
    ("test_cards.py", "_md"): "the Markdown escaping of the CDS Hooks cards' text",
    ("test_fuzz_findings.py", "_evaluate_line"): "a batch line's record, as the fuzzing campaign checks it",
    ("test_fuzz_findings.py", "_Settings"): "the batch's per-line settings, for that record",
    ("test_layers.py", "_parser"): "every subcommand of the command line's parser, without running one",
}

#: Core pipeline modules (the package root) and the limits on them.
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60
#: Over the limit and being split with the assessment checks' rework (none may be added).
LONG_FUNCTIONS_PENDING = {"_assessment.py:_leaf"}


def private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def resolve(path: Path, node: ast.ImportFrom) -> str:
    """The absolute module an import takes names from."""
    if node.level == 0:
        return node.module or ""
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def defined_private_names(tree: ast.Module) -> set[str]:
    """Private names a module defines: functions, classes, assignments, attributes set on self,
    and ``__slots__`` entries."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names.add(node.value)  # __slots__ = ("_x", ...)
    return {name for name in names if private(name)}


def source_modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def reach_ins(path: Path, source: str | None = None) -> Iterator[str]:
    """Each use of another module's private name in the module at ``path`` (or ``source``)."""
    tree = ast.parse(path.read_text(encoding="utf-8") if source is None else source)
    own = defined_private_names(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            source = resolve(path, node)
            for alias in node.names:
                if private(alias.name) and not is_module(f"{source}.{alias.name}"):
                    yield f"{node.lineno}: imports {alias.name} from {source}"
        elif (
            isinstance(node, ast.Attribute)
            and private(node.attr)
            and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
            and node.attr not in own
        ):
            yield f"{node.lineno}: reads {ast.unparse(node)}"


@pytest.mark.parametrize("path", source_modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_uses_another_modules_private_names(path: Path) -> None:
    assert list(reach_ins(path)) == []


def test_the_check_finds_a_reach_in() -> None:
    """The walk itself: a private name imported from another module, or read from another
    object, is found; a private module and the module's own private names are not."""
    path = PACKAGE / "governance" / "example.py"  # where such a module would sit; never written
    source = (
        "from .._validate import _Context, build_definition\n"
        "from .. import _engine\n"
        "class A:\n    _own = 1\n    def f(self, other):\n"
        "        return other._own, other._definition, self._x\n"
    )
    assert list(reach_ins(path, source)) == [
        "1: imports _Context from intervention_rules._validate",
        "6: reads other._definition",
    ]


def test_tests_import_private_names_only_where_listed() -> None:
    found = set()
    for path in sorted((ROOT / "tests").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("intervention_rules"):
                for alias in node.names:
                    if private(alias.name) and not is_module(f"{node.module}.{alias.name}"):
                        found.add((path.name, alias.name))
    assert found == set(TESTS_MAY_IMPORT)


def core_modules() -> list[Path]:
    return sorted(PACKAGE.glob("*.py"))


@pytest.mark.parametrize("path", core_modules(), ids=lambda p: p.name)
def test_core_modules_and_functions_stay_small(path: Path) -> None:
    """No module of the core pipeline over 500 lines, no function in it over 60."""
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= MAX_MODULE_LINES
    long = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > MAX_FUNCTION_LINES and f"{path.name}:{node.name}" not in LONG_FUNCTIONS_PENDING:
                long.append(f"{node.name} ({length} lines)")
    assert long == []
