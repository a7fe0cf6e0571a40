"""The core and its optional layers: what each import loads, and what a missing extra says.

Each check runs in a fresh interpreter, since ``sys.modules`` of the test process already holds
everything. A meta-path finder that refuses chosen modules stands in for an environment where an
extra is not installed (the installed-wheel test checks the same in a real one).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from intervention_rules._extras import EXTRA_OF
from intervention_rules.cli import LAYERS

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "adolescent.json"

#: Run before the snippet: refuse to import the top-level modules named in BLOCKED.
BLOCKER = textwrap.dedent(
    """
    import importlib.abc, sys

    class _Refuse(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in BLOCKED:
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, _Refuse())
    """
)


def run_python(code: str, *, blocked: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    program = f"BLOCKED = {blocked!r}\n{BLOCKER}\n{textwrap.dedent(code)}"
    return subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, cwd=ROOT, timeout=120
    )


def loaded_optional(code: str) -> list[str]:
    """The optional dependencies (and the layers' modules) that ``code`` leaves in sys.modules."""
    result = run_python(
        textwrap.dedent(code)
        + textwrap.dedent(
            f"""
            import json, sys
            optional = {sorted(EXTRA_OF)!r}
            print(json.dumps(sorted(
                m for m in sys.modules
                if m.partition(".")[0] in optional
            )))
            """
        )
    )
    assert result.returncode == 0, result.stderr
    return list(json.loads(result.stdout.splitlines()[-1]))


def test_importing_the_package_loads_no_optional_dependency() -> None:
    assert loaded_optional("import intervention_rules") == []


@pytest.mark.parametrize(
    "argv",
    [
        ["evaluate", str(EXAMPLE)],
        ["evaluate", "--format", "text", str(EXAMPLE)],
        ["explain", str(EXAMPLE), "family_therapy"],
        ["validate"],
        ["lint"],
        ["digest", "--no-manifest"],
        ["test", "scenarios/10-reasons.scenario.yaml"],
    ],
    ids=lambda argv: " ".join(a for a in argv if "/" not in a),
)
def test_core_and_light_commands_load_no_optional_dependency(argv: list[str]) -> None:
    code = f"""
        import contextlib, io
        from intervention_rules.cli import main
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            status = main({argv!r}, stdout=out, stderr=out)
        assert status in (0, 3), (status, out.getvalue()[-2000:])
    """
    assert loaded_optional(code) == []


@pytest.mark.parametrize("layer", LAYERS)
def test_importing_a_layer_imports_none_of_its_modules(layer: str) -> None:
    result = run_python(
        f"""
        import sys
        before = set(sys.modules)
        import intervention_rules.{layer}, intervention_rules.{layer}._cli
        new = sorted(m for m in set(sys.modules) - before if m.startswith("intervention_rules.{layer}."))
        assert new == ["intervention_rules.{layer}._cli"], new
        """
    )
    assert result.returncode == 0, result.stderr


def test_the_pytest_plugin_loads_nothing_of_the_library_until_a_scenario_file() -> None:
    result = run_python(
        """
        import sys
        import intervention_rules.testing.pytest_plugin
        heavy = ("durable_rules_engine", "intervention_rules.ruleset", "jsonschema", "yaml")
        loaded = [m for m in heavy if m in sys.modules]
        assert loaded == [], loaded
        """
    )
    assert result.returncode == 0, result.stderr


def test_every_subcommand_has_help() -> None:
    from intervention_rules.cli import _parser

    commands = _parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert {"evaluate", "explain", "validate", "lint", "report", "diff", "test"} <= set(commands)
    for name in commands:
        result = run_python(
            f"""
            from intervention_rules.cli import main
            raise SystemExit(main([{name!r}, "--help"]))
            """,
            blocked=tuple(EXTRA_OF),
        )
        assert result.returncode == 0, (name, result.stderr)
        assert f"usage: intervention-rules {name}" in result.stdout


def test_a_command_whose_extra_is_missing_names_the_extra_and_exits_2(tmp_path: Path) -> None:
    result = run_python(
        f"""
        from intervention_rules.cli import main
        raise SystemExit(main(["report", "--output", {str(tmp_path / "book.html")!r}]))
        """,
        blocked=("jinja2", "markupsafe"),
    )
    assert result.returncode == 2, result.stderr
    assert "pip install 'intervention-rules[governance]'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "book.html").exists()


def test_commands_that_need_no_extra_work_without_them() -> None:
    result = run_python(
        f"""
        from intervention_rules.cli import main
        raise SystemExit(main(["evaluate", {str(EXAMPLE)!r}]))
        """,
        blocked=tuple(EXTRA_OF),
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["recommendations"]


def test_property_testing_without_hypothesis_names_the_extra() -> None:
    result = run_python(
        """
        from intervention_rules.errors import MissingExtraError
        import intervention_rules.testing as t
        t.load_scenarios  # needs no extra
        try:
            t.assessments
        except MissingExtraError as error:
            assert error.extra == "testing", error.extra
            assert isinstance(error, ImportError)
            print(error)
        else:
            raise AssertionError("hypothesis was not needed")
        """,
        blocked=("hypothesis",),
    )
    assert result.returncode == 0, result.stderr
    assert "pip install 'intervention-rules[testing]'" in result.stdout


def test_moved_module_names_still_import_the_same_objects() -> None:
    import intervention_rules.batch
    import intervention_rules.coverage
    import intervention_rules.mutation
    import intervention_rules.runner
    import intervention_rules.scale
    import intervention_rules.scenarios
    import intervention_rules.testing

    assert intervention_rules.scenarios.load_scenarios is intervention_rules.testing.load_scenarios
    assert intervention_rules.runner.run_scenarios is intervention_rules.testing.run_scenarios
    assert intervention_rules.coverage.CoverageCollector is intervention_rules.testing.CoverageCollector
    assert intervention_rules.mutation.mutate is intervention_rules.testing.mutate
    assert intervention_rules.batch.Batch is intervention_rules.scale.Batch
