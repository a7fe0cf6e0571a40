"""The examples in the documentation run, and say what the code does."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import intervention_rules as ir

ROOT = Path(__file__).resolve().parents[1]
PAGES = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def blocks(page: Path, language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(page.read_text(encoding="utf-8")) if lang == language]


PYTHON = [(page, i, code) for page in PAGES for i, code in enumerate(blocks(page, "python"))]


@pytest.mark.parametrize(("page", "index", "code"), PYTHON, ids=[f"{p.name}-{i}" for p, i, _ in PYTHON])
def test_python_examples_run(page: Path, index: int, code: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    exec(compile(code, f"{page.name}[{index}]", "exec"), {"__name__": "__doc_example__"})


def test_the_rule_language_examples_form_a_valid_rule_set(tmp_path: Path) -> None:
    examples = blocks(ROOT / "docs" / "rule-language.md", "yaml")
    assert len(examples) >= 6
    for i, text in enumerate(examples):
        (tmp_path / f"{i:02}.yaml").write_text(text, encoding="utf-8")
    ruleset = ir.load_ruleset(tmp_path)
    assert [r.id for r in ruleset.rules] == ["DBT-EMOTION-REGULATION"]
    decision = ruleset.evaluate({"age": 30, "reasons": ["emotional_regulation"]})
    assert decision.recommendations[0].intervention == "dbt"


def test_every_operator_is_documented() -> None:
    from intervention_rules.conditions import OPERATORS

    text = (ROOT / "docs" / "rule-language.md").read_text(encoding="utf-8")
    for name in OPERATORS:
        assert f"`{name}`" in text, name


def shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return None


def test_the_documented_decision_shape_is_the_real_one(tmp_path: Path) -> None:
    """Every key of the integration guide's JSON example exists, at the same place, in a real decision."""
    (documented,) = [json.loads(b) for b in blocks(ROOT / "docs" / "integration.md", "json")]
    from helpers import make_ruleset, recommend, rule

    documented_rule = rule(
        "R",
        {"reasons": {"contains_any": ["coping"]}},
        recommend("dbt", 3),
        {"not_recommend": {"intervention": "snri", "text": "x"}},
        {"alert": {"severity": "critical", "text": "y"}},
        {"caution": {"intervention": "dbt", "severity": "warning", "text": "z"}},
        {"collaborate": {"intervention": "dbt", "role": "psychiatrist", "prompt": "p"}},
    )
    documented_rule["evidence"][0]["note"] = "A note."
    weighed = rule(
        "W",
        {"reasons": {"contains_any": ["coping"]}},
        recommend("mindfulness", 1),
        {"adjust": {"intervention": "mindfulness", "by": -1, "text": "w"}},
    )
    rules = make_ruleset(tmp_path, documented_rule, weighed, zero_strength="considered")
    real = rules.evaluate({"age": 20, "reasons": ["coping"]}).to_dict()

    def check(doc: Any, actual: Any, where: str) -> None:
        if isinstance(doc, dict):
            assert isinstance(actual, dict), where
            assert list(doc) == list(actual), where
            for key in doc:
                check(doc[key], actual[key], f"{where}.{key}")
        elif isinstance(doc, list) and doc:
            assert actual, where
            check(doc[0], actual[0], f"{where}[0]")

    check(shape(documented), shape(real), "decision")


def test_readme_commands_run() -> None:
    """The README's command-line examples succeed (the dev.py set-up lines are tested by CI itself)."""
    commands = [
        line.split("#")[0].strip()
        for block in blocks(ROOT / "README.md", "sh")
        for line in block.splitlines()
        if line.startswith("intervention-rules ")
    ]
    assert len(commands) >= 4
    for command in commands:
        argv = shlex.split(command)
        result = subprocess.run(
            [sys.executable, "-m", "intervention_rules", *argv[1:]], cwd=ROOT, capture_output=True, text=True
        )
        assert result.returncode == 0, (command, result.stderr)
        assert result.stdout


def test_docs_link_to_pages_that_exist() -> None:
    for page in PAGES:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            assert (page.parent / target).exists(), (page.name, target)


def test_docs_quote_no_line_number_of_the_library_code() -> None:
    """A line number in the library's own code goes stale with the next edit above it, and no test
    would notice: the docs write such a frame with the line left out. (The profiles on the
    performance page are exempt: a measurement of the commit they name, kept as it was recorded.)"""
    modules = {path.name for path in (ROOT / "src" / "intervention_rules").rglob("*.py")}
    for page in PAGES:
        if page.name == "performance.md":
            continue
        quoted = re.findall(r"([\w.-]+\.py):\d+", page.read_text(encoding="utf-8"))
        assert not [name for name in quoted if name in modules], page.name


def test_yaml_examples_in_getting_started_parse() -> None:
    for code in blocks(ROOT / "docs" / "getting-started.md", "yaml"):
        yaml.safe_load(code)


def test_the_schema_knows_every_operator_and_the_compiler_compiles_it() -> None:
    from intervention_rules._compile import COMPILERS
    from intervention_rules._schema import rule_file_schema
    from intervention_rules.conditions import OPERATORS

    operator_schema = rule_file_schema()["$defs"]["test"]["anyOf"][1]["properties"]
    assert set(operator_schema) == set(OPERATORS) == set(COMPILERS)


def _section(page: Path, title: str) -> str:
    text = page.read_text(encoding="utf-8")
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def _timeless(text: str) -> str:
    return re.sub(r"\d+\.\d+s\b", "N.Ns", text)


def test_the_testing_walkthrough_runs_as_shown(tmp_path: Path) -> None:
    """docs/testing.md's first section, run in a fresh project: files written, commands run, outputs
    compared (timings aside)."""
    section = _section(ROOT / "docs" / "testing.md", "A first scenario, step by step")
    fences = re.findall(r"^```(\w+)\n(.*?)^```", section, re.MULTILINE | re.DOTALL)
    assert [lang for lang, _ in fences].count("sh") == 5
    last: subprocess.CompletedProcess[str] | None = None
    for lang, body in fences:
        first = body.splitlines()[0]
        if lang in ("yaml", "toml", "py") and first.startswith("# "):
            target = tmp_path / first[2:]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(body, encoding="utf-8")
        elif lang == "sh":
            (command,) = body.splitlines()
            exits = int(command.split("# exits ")[1]) if "# exits " in command else 0
            argv = shlex.split(command.split("#")[0])
            program = ["-m", "intervention_rules"] if argv[0] == "intervention-rules" else ["-m", "pytest"]
            last = subprocess.run(
                [sys.executable, *program, *argv[1:]],
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert last.returncode == exits, (command, last.stdout, last.stderr)
        elif lang == "text":
            assert last is not None
            assert _timeless(last.stdout) == _timeless(body)
        elif lang == "console":
            assert last is not None
            for line in body.splitlines():
                if line != "..." and not re.search(r"\d+\.\d+s", line):
                    assert line in last.stdout.splitlines(), line


def test_the_testing_guide_yaml_snippets_are_valid_scenario_files() -> None:
    import jsonschema
    import referencing

    from intervention_rules._schema import rule_file_schema
    from intervention_rules.testing import scenario_schema

    rules = rule_file_schema()
    registry = referencing.Registry().with_resource(rules["$id"], referencing.Resource.from_contents(rules))
    validator = jsonschema.Draft202012Validator(scenario_schema(), registry=registry)
    snippets = [b for b in blocks(ROOT / "docs" / "testing.md", "yaml") if not b.startswith("# ")]
    assert len(snippets) == 2
    for snippet in snippets:
        document = yaml.safe_load(snippet)
        document.setdefault("scenarios", [])
        validator.validate(document)


def test_every_test_the_hazard_log_names_exists() -> None:
    """docs/safety.md verifies each control by test name: each must be a real test function."""
    import ast

    named = re.findall(r"`(tests/test_\w+\.py)::(test_\w+)`", (ROOT / "docs" / "safety.md").read_text())
    assert len(named) > 40
    missing = []
    for module, name in named:
        tree = ast.parse((ROOT / module).read_text(encoding="utf-8"))
        functions = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
        if name not in functions:
            missing.append(f"{module}::{name}")
    assert missing == []
