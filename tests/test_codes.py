"""The problem-code registry, the source that uses it and docs/errors.md agree."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import intervention_rules as ir
from helpers import make_ruleset, recommend, rule
from intervention_rules._codes import CODES, RANGES, markdown, slug_of

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "src" / "intervention_rules"
CODE = re.compile(r"""["'](IR\d{3})["']""")


def used_codes() -> dict[str, list[str]]:
    """Every code written as a string literal in the source, outside the registry itself."""
    found: dict[str, list[str]] = {}
    for path in sorted(SOURCE.rglob("*.py")):
        if path.name == "_codes.py":
            continue
        for code in CODE.findall(path.read_text(encoding="utf-8")):
            found.setdefault(code, []).append(path.relative_to(SOURCE).as_posix())
    return found


def test_codes_are_well_formed_and_their_names_unique() -> None:
    slugs = [c.slug for c in CODES.values()]
    assert len(set(slugs)) == len(slugs)
    for key, entry in CODES.items():
        assert key == entry.code
        assert re.fullmatch(r"IR[1-6]\d\d", key), key
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", entry.slug), entry.slug
        assert entry.summary, key
        assert entry.example, key
        assert entry.fix, key
        assert key[2] in RANGES


def test_every_code_the_source_uses_is_registered() -> None:
    unknown = {code: files for code, files in used_codes().items() if code not in CODES}
    assert unknown == {}


def test_every_registered_code_is_used() -> None:
    """A registered code that nothing reports is a stale entry.

    The assessment codes (IR3xx) are given by the assessment checker; until it gives any of them
    (only the command line's ``invalid-json`` does today) the rest of that range is exempt, and
    as soon as it gives one, every IR3xx code must be used.
    """
    used = used_codes()
    assessment_uses_codes = any(code.startswith("IR3") and code != "IR311" for code in used)
    unused = [
        code for code in CODES if code not in used and (assessment_uses_codes or not code.startswith("IR3"))
    ]
    assert unused == []


def test_the_errors_page_lists_every_code_as_the_registry_has_it() -> None:
    page = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    expected = markdown()
    assert expected in page, (
        "docs/errors.md is out of date; replace its code tables with the output of "
        'python -c "from intervention_rules._codes import markdown; print(markdown())"'
    )
    for code in CODES:
        assert page.count(f"| {code} |") == 1, code


def test_slug_of_an_unknown_code_is_empty() -> None:
    assert slug_of("IR211") == "unknown-feature"
    assert slug_of("IR999") == ""


def test_a_rule_file_problem_carries_its_code_path_tuple_and_place(tmp_path: Path) -> None:
    with pytest.raises(ir.RuleSetError) as caught:
        make_ruleset(tmp_path, rule("R-1", {"agee": 3}, recommend("cbt", 1)))
    codes = {p.code for p in caught.value.problems}
    assert "IR211" in codes
    problem = next(p for p in caught.value.problems if p.code == "IR211")
    assert problem.slug == "unknown-feature"
    assert problem.parts == ("rules", 0, "when", "agee")
    assert problem.path == "rules[0].when.agee"
    assert problem.file.endswith("ruleset.yaml")
    assert (problem.line, problem.column) > (1, 1)
    assert str(problem).endswith("(at rules[0].when.agee) [IR211]")


def test_engine_error_is_public_and_under_the_root() -> None:
    assert issubclass(ir.EngineError, ir.InterventionRulesError)
    assert issubclass(ir.EngineError, RuntimeError)
