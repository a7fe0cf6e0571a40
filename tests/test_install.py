"""Install as users install: the wheel, built from this tree, in fresh virtual environments outside
the repository, first without extras, then with each extra that pyproject.toml declares.

Each environment is new (no system site-packages) and is entered from a temporary directory, so
the source tree cannot be imported by accident. pip installs the dependencies from its cache when
it has them; the first run on a machine downloads them once.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
import venv
import zipfile
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
#: The extras for users: every one declared except the project's own tools.
EXTRAS = sorted(set(PROJECT["optional-dependencies"]) - {"dev", "bench", "fuzz"})
CORE_COMMANDS = ("evaluate", "validate", "explain")
PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check"]


def hint(extra: str) -> str:
    return f"pip install 'intervention-rules[{extra}]'"


class Environment:
    """A fresh virtual environment in ``root``, with the wheel installed (with ``extra``, if any)."""

    def __init__(self, root: Path, wheel: Path, extra: str | None) -> None:
        self.root = root
        self.work = root / "work"
        self.work.mkdir(parents=True)
        venv.EnvBuilder(with_pip=False, clear=True).create(root / "venv")
        self.bin = root / "venv" / ("Scripts" if os.name == "nt" else "bin")
        requirement = f"{wheel}[{extra}]" if extra else str(wheel)
        # The test environment's pip installs into the new one (pip --python), as a user's pip would.
        subprocess.run(
            [*PIP, "--python", str(self.bin / "python"), "install", "--quiet", requirement],
            check=True,
            cwd=self.work,
            timeout=600,
        )
        shutil.copy(ROOT / "examples" / "adolescent.json", self.work / "assessment.json")
        shutil.copy(Path(__file__).with_name("installed_check.py"), self.work / "installed_check.py")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
        self.env["PATH"] = f"{self.bin}{os.pathsep}{self.env.get('PATH', '')}"

    def run(self, *argv: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run a program of the environment (``intervention-rules``, ``python``) from outside the tree."""
        return subprocess.run(
            [str(self.bin / argv[0]), *argv[1:]],
            cwd=self.work,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=300,
        )

    def check(self) -> dict[str, Any]:
        """installed_check.py's report: imports, the core commands in-process, every --help."""
        result = self.run("python", "installed_check.py", "assessment.json")
        assert result.returncode == 0, result.stderr
        report: dict[str, Any] = json.loads(result.stdout)
        return report


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built from this tree as a release would be (hatchling, no build isolation)."""
    target = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [*PIP, "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(target), str(ROOT)],
        check=True,
        timeout=300,
    )
    (built,) = target.glob("intervention_rules-*.whl")
    return built


@pytest.fixture(scope="module")
def bare(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Environment:
    """The wheel installed without extras."""
    return Environment(tmp_path_factory.mktemp("bare"), wheel, None)


@pytest.fixture(scope="module")
def bare_report(bare: Environment) -> dict[str, Any]:
    return bare.check()


def test_the_wheel_holds_the_bundled_rules_the_schemas_and_py_typed(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for rule_file in sorted((ROOT / "rules").iterdir()):
            packaged = f"intervention_rules/rules/{rule_file.name}"
            assert archive.read(packaged) == rule_file.read_bytes(), packaged
        schemas = sorted((ROOT / "src" / "intervention_rules" / "schemas").glob("*.json"))
        assert len(schemas) >= 3
        for schema in schemas:
            assert archive.read(f"intervention_rules/schemas/{schema.name}") == schema.read_bytes()
        templates = sorted((ROOT / "src" / "intervention_rules" / "governance" / "templates").iterdir())
        assert {f"intervention_rules/governance/templates/{t.name}" for t in templates} <= names
        assert "intervention_rules/py.typed" in names
        assert not [name for name in names if name.startswith(("tests/", "docs/", "scenarios/"))]


def test_the_package_is_imported_from_the_environment_not_the_tree(
    bare: Environment, bare_report: dict[str, Any]
) -> None:
    assert Path(bare_report["file"]).is_relative_to(bare.root / "venv")
    assert not Path(bare_report["file"]).is_relative_to(ROOT)


def test_no_optional_dependency_is_installed_without_extras(bare_report: dict[str, Any]) -> None:
    """The no-extras environment holds the core dependencies and nothing an extra adds."""
    for module in ("hypothesis", "jinja2", "markupsafe", "dask", "distributed"):
        assert module not in bare_report["importable"], module
    core = ("durable", "durable_rules_engine", "attrs", "yaml", "jsonschema", "jsonschema_rs", "tqdm", "re2")
    for module in core:
        assert module in bare_report["importable"], module


def test_the_command_line_works_without_extras(bare: Environment) -> None:
    evaluated = bare.run("intervention-rules", "evaluate", "assessment.json")
    assert evaluated.returncode == 0, evaluated.stderr
    decision = json.loads(evaluated.stdout)
    assert decision["ruleset"]["digest"].startswith("sha256:")
    assert [r["rank"] for r in decision["recommendations"]] == list(
        range(1, len(decision["recommendations"]) + 1)
    )
    assert decision["recommendations"][0]["explanations"]

    piped = bare.run("intervention-rules", "evaluate", "--format", "text", "-", stdin='{"age": 15}')
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout.startswith("Rule set guiding-hand-self-harm ")

    validated = bare.run("intervention-rules", "validate")
    assert validated.returncode == 0, validated.stderr
    assert ": valid; " in validated.stdout
    assert decision["ruleset"]["digest"] in validated.stdout

    explained = bare.run("intervention-rules", "explain", "assessment.json", "family_therapy")
    assert explained.returncode == 0, explained.stderr
    assert explained.stdout.startswith("Family therapy [family_therapy]: ")

    invalid = bare.run("intervention-rules", "evaluate", "-", stdin='{"age": 15, "reason": []}')
    assert invalid.returncode == 1
    assert not invalid.stdout
    assert "did you mean 'reasons'" in invalid.stderr

    version = bare.run("python", "-m", "intervention_rules", "--version")
    assert version.stdout.strip() == f"intervention-rules {PROJECT['version']}"


def test_every_subcommand_has_help_without_extras(bare: Environment, bare_report: dict[str, Any]) -> None:
    top = bare.run("intervention-rules", "--help")
    assert top.returncode == 0
    assert top.stdout == bare_report["help"]["stdout"]
    subcommands = bare_report["subcommands"]
    layers = {"test", "lint", "report", "diff", "digest", "approve", "schema"}
    assert {*CORE_COMMANDS, *layers} <= set(subcommands)
    for command, result in subcommands.items():
        assert result["status"] == 0, (command, result["stderr"])
        assert result["stdout"].startswith(f"usage: intervention-rules {command} "), command
        assert "options:" in result["stdout"], command
    for command in subcommands:  # and through the console script, as a user types it
        if command in CORE_COMMANDS:
            shown = bare.run("intervention-rules", command, "--help")
            assert shown.returncode == 0
            assert shown.stdout == subcommands[command]["stdout"]


def test_the_core_commands_work_in_process_without_extras(bare_report: dict[str, Any]) -> None:
    for command in CORE_COMMANDS:
        result = bare_report["core"][command]
        assert result["status"] == 0, (command, result["stderr"])
        assert result["stdout"], command
    assert json.loads(bare_report["core"]["evaluate"]["stdout"])["recommendations"]


#: How to reach what each extra adds, and what shows that it works once installed (in the
#: extra's environment) or names the extra when it is missing (in the bare one).
USES: dict[str, dict[str, Any]] = {
    "governance": {
        "argv": ["intervention-rules", "report", "--format", "html", "--output", "book.html"],
        "works": lambda env, result: "<html" in (env.work / "book.html").read_text(encoding="utf-8"),
    },
    "testing": {
        "argv": [
            "python",
            "-c",
            "import intervention_rules as ir\n"
            "from intervention_rules.testing import assessments, check_decision\n"
            "from hypothesis import given, settings\n"
            "RULES = ir.load_ruleset()\n"
            "@settings(max_examples=10, database=None, deadline=None)\n"
            "@given(assessments(RULES))\n"
            "def check(assessment):\n"
            "    check_decision(RULES, assessment)\n"
            "check()\n"
            "print('checked')\n",
        ],
        "works": lambda env, result: result.stdout == "checked\n",
    },
    "fhir": {
        "argv": ["intervention-rules", "fhir", "questionnaire"],
        "works": lambda env, result: json.loads(result.stdout)["resourceType"] == "Questionnaire",
    },
    "dask": {
        "argv": [
            "python",
            "-c",
            "from intervention_rules.scale.dask import evaluate_bag\n"
            "import dask.bag as db\n"
            "bag = db.from_sequence([{'age': 15}, {'age': 30, 'reasons': ['coping']}, {'age': -1}])\n"
            "records = evaluate_bag(bag).compute(scheduler='sync')\n"
            "print(' '.join(sorted(record.keys() - {'line'}).pop() for record in records))\n",
        ],
        "works": lambda env, result: result.stdout == "decision decision error\n",
    },
}


def layer_use(extra: str) -> list[str]:
    """For an extra without an entry in USES: every public name of the layer of the same name."""
    code = (
        f"import intervention_rules.{extra} as layer\n"
        "for name in layer.__all__:\n"
        "    getattr(layer, name)\n"
        "print('imported')\n"
    )
    return ["python", "-c", code]


def test_every_extra_is_in_the_documented_table() -> None:
    """docs/integration.md lists what each extra installs."""
    text = (ROOT / "docs" / "integration.md").read_text(encoding="utf-8")
    section = text[text.index("## What each extra installs") :]
    for extra in EXTRAS:
        assert f"\n| `{extra}` |" in section, extra


@pytest.mark.parametrize("extra", EXTRAS)
def test_a_missing_extra_is_named(bare: Environment, extra: str) -> None:
    """Without the extra, what needs it stops with the pip command that installs it."""
    argv = USES[extra]["argv"] if extra in USES else layer_use(extra)
    result = bare.run(*argv)
    assert result.returncode == (2 if argv[0] == "intervention-rules" else 1), result.stderr
    assert hint(extra) in result.stderr
    if argv[0] == "intervention-rules":
        assert "Traceback" not in result.stderr
        assert not result.stdout


@pytest.mark.parametrize("extra", EXTRAS)
def test_each_extra_installs_and_works(
    wheel: Path, bare_report: dict[str, Any], tmp_path: Path, extra: str
) -> None:
    """With the extra: what it adds works, the core still imports none of it, every command has help."""
    env = Environment(tmp_path, wheel, extra)
    report = env.check()
    added = set(report["importable"]) - set(bare_report["importable"])
    assert added, f"the {extra!r} extra installs nothing new"
    # jsonschema (a core dependency) checks the idn-hostname format with idna whenever idna is
    # installed; the service extra brings idna (anyio, under FastAPI needs it), so it is not ours.
    added -= {"idna"}
    assert not added & set(report["after_import"])
    for command in CORE_COMMANDS:
        result = report["core"][command]
        assert result["status"] == 0, (command, result["stderr"])
        assert result["stdout"] == bare_report["core"][command]["stdout"], command
        assert not added & set(result["loaded"]), command
    assert not added & set(report["after_help"])
    assert report["subcommands"].keys() == bare_report["subcommands"].keys()
    assert all(result["status"] == 0 for result in report["subcommands"].values())

    if extra in USES:
        result = env.run(*USES[extra]["argv"])
        assert result.returncode == 0, result.stderr
        assert USES[extra]["works"](env, result), result.stdout
    else:
        result = env.run(*layer_use(extra))
        assert result.returncode == 0, result.stderr
        assert result.stdout == "imported\n"
