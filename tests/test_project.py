"""Compact decisions are exactly the projection of the full decision's JSON, built without it."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import pytest

import intervention_rules as ir
from golden import RULE_SETS, records
from helpers import make_ruleset
from intervention_rules.scale._project import FIELDS, SUMMARY, Projection, project
from test_ranking import zero_strength_rules

SELECTIONS = [
    SUMMARY,
    # everything a decision's outline holds, without a word of text
    (
        "ruleset",
        "recommendations.title",
        "recommendations.category",
        "recommendations.cautions.status",
        "not_recommended.title",
        "not_recommended.status",
        "considered.category",
        "considered.strength",
        "considered.cautions.rule",
        "alerts.status",
        "trace",
    ),
    ("recommendations",),
    ("trace", "ruleset.name", "alerts.text"),
    ("recommendations.explanations.matched", "recommendations.explanations.source", "recommendations.rank"),
    ("recommendations.explanations.evidence", "recommendations.collaboration.rule", "not_recommended"),
    tuple(FIELDS),
]


def _cases() -> list[tuple[str, dict[str, Any]]]:
    return [(r["ruleset"], r["assessment"]) for r in records()][::3]


@pytest.fixture(scope="module")
def rulesets() -> dict[str, ir.RuleSet]:
    return {name: ir.load_ruleset(path) for name, path in RULE_SETS.items()}


@pytest.mark.parametrize("paths", SELECTIONS, ids=lambda p: ",".join(p)[:40])
def test_compact_equals_the_projection_of_the_full_decision(
    paths: tuple[str, ...], rulesets: dict[str, ir.RuleSet]
) -> None:
    """Byte for byte in JSON, on the scenario assessments and generated ones."""
    projection = Projection(paths)
    for name, case in _cases():
        decision = rulesets[name].evaluate(case)
        expected = json.dumps(project(decision.to_dict(), projection.tree))
        assert json.dumps(projection.of(decision)) == expected
        assert json.dumps(projection.evaluate(rulesets[name], case)) == expected


@pytest.mark.parametrize("paths", SELECTIONS, ids=lambda p: ",".join(p)[:40])
def test_a_projection_without_words_makes_no_note_and_no_explanation(
    paths: tuple[str, ...], rulesets: dict[str, ir.RuleSet], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A projection that names no text, explanation or prompt is built from what the evaluation
    settles: no explanation session (which every note and explanation is written from) is made.
    One that names any is built from the whole decision."""
    from intervention_rules import _explain

    made = 0
    real = _explain.Session.__init__

    def counting(self: _explain.Session, *args: Any) -> None:
        nonlocal made
        made += 1
        real(self, *args)

    monkeypatch.setattr(_explain.Session, "__init__", counting)
    projection = Projection(paths)
    for name, case in _cases()[:20]:
        projection.evaluate(rulesets[name], case)
    wordless = paths in SELECTIONS[:2]  # the summary, and all an outline holds
    assert (made == 0) == wordless, f"{made} sessions made"


def test_a_projection_takes_any_sequence_of_paths_but_not_a_bare_string() -> None:
    assert Projection(list(SUMMARY)) == Projection(SUMMARY)
    assert hash(Projection(list(SUMMARY))) == hash(Projection(SUMMARY))
    assert Projection(p for p in ("trace",)).paths == ("trace",)
    with pytest.raises(ValueError, match=r"Projection\.named"):
        Projection("summary")  # the mistake this guards against


def test_a_projection_pickles_as_its_paths(rulesets: dict[str, ir.RuleSet]) -> None:
    projection = Projection(SUMMARY)
    twin = pickle.loads(pickle.dumps(projection))
    assert twin == projection
    name, case = _cases()[0]
    assert twin.evaluate(rulesets[name], case) == projection.evaluate(rulesets[name], case)


def test_the_whole_decision_is_its_own_projection(rulesets: dict[str, ir.RuleSet]) -> None:
    name, case = _cases()[0]
    decision = rulesets[name].evaluate(case)
    assert json.dumps(Projection(tuple(FIELDS)).of(decision)) == json.dumps(decision.to_dict())


def test_summary_holds_what_a_population_run_needs(rulesets: dict[str, ir.RuleSet]) -> None:
    """Digest, ranked ids with strengths, cautions' rules and severities, vetoes, alerts, fired rules."""
    decision = rulesets["default"].evaluate({"age": 16, "reasons": ["emotional_regulation"]})
    summary = Projection.named("summary").of(decision)
    assert summary["ruleset"] == {"digest": decision.ruleset.digest}
    assert [r["intervention"] for r in summary["recommendations"]] == [
        r.intervention for r in decision.recommendations
    ]
    first = summary["recommendations"][0]
    assert set(first) == {"intervention", "rank", "strength", "cautions"}
    assert summary["trace"] == {"fired": list(decision.fired)}
    assert list(summary) == ["ruleset", "recommendations", "not_recommended", "considered", "alerts", "trace"]


def test_keys_keep_the_order_of_the_full_json_whatever_order_they_are_named_in() -> None:
    tree = Projection(("trace.fired", "recommendations.rank", "ruleset", "recommendations.intervention")).tree
    assert list(tree) == ["ruleset", "recommendations", "trace"]
    assert list(tree["recommendations"]) == ["intervention", "rank"]


def test_a_whole_object_and_a_part_of_it_select_the_whole() -> None:
    assert Projection(("recommendations", "recommendations.rank")).tree == {"recommendations": None}
    assert Projection(("recommendations.rank", "recommendations")).tree == {"recommendations": None}


@pytest.mark.parametrize(
    ("paths", "message"),
    [
        (("recomendations",), "unknown field 'recomendations': the decision has ruleset, recommendations"),
        (
            ("recommendations.score",),
            "unknown field 'recommendations.score': recommendations has intervention",
        ),
        (("trace.fired.x",), "unknown field 'trace.fired.x': trace.fired has nothing below it"),
    ],
)
def test_an_unknown_field_is_refused_with_what_there_is(paths: tuple[str, ...], message: str) -> None:
    with pytest.raises(ValueError, match="^" + message.replace(".", r"\.")):
        Projection(paths)


@pytest.mark.parametrize("fields", ["", " , ", ()])
def test_no_field_at_all_is_refused_not_an_empty_decision(fields: str | tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match=r"^no field chosen: the decision has ruleset, recommendations"):
        Projection.named(fields)


def test_named_takes_summary_or_comma_separated_paths() -> None:
    assert Projection.named("summary").paths == SUMMARY
    assert Projection.named(" trace.fired, ruleset.digest ,").paths == ("trace.fired", "ruleset.digest")


def test_considered_interventions_project_like_the_rest(tmp_path: Path) -> None:
    """Under ``zero_strength: considered`` the considered list is projected exactly too."""
    ruleset = make_ruleset(tmp_path, *zero_strength_rules(), zero_strength="considered")
    decision = ruleset.evaluate({"age": 30})
    assert decision.considered
    for paths in (SUMMARY, ("considered",), ("considered.strength", "considered.explanations.matched")):
        projection = Projection(paths)
        expected = json.dumps(project(decision.to_dict(), projection.tree))
        assert json.dumps(projection.of(decision)) == expected
        assert json.dumps(projection.evaluate(ruleset, {"age": 30})) == expected
    assert Projection(SUMMARY).of(decision)["considered"] == [{"intervention": "mindfulness"}]


def test_an_outline_is_the_decision_without_its_words(rulesets: dict[str, ir.RuleSet]) -> None:
    """``RuleSet.outline`` holds what the decision holds, field by field, less the words."""
    for name, case in _cases():
        ruleset = rulesets[name]
        decision, outline = ruleset.evaluate(case), ruleset.outline(case)
        assert isinstance(outline, ir.Outline)

        def notes(found: tuple[Any, ...]) -> list[tuple[str, str, str]]:
            return [(n.rule, n.severity, n.status) for n in found]

        assert outline.ruleset == decision.ruleset
        assert outline.fired == decision.fired
        assert [
            (r.intervention, r.title, r.category, r.rank, r.strength, notes(r.cautions))
            for r in outline.recommendations
        ] == [
            (r.intervention, r.title, r.category, r.rank, r.strength, notes(r.cautions))
            for r in decision.recommendations
        ]
        assert [(c.intervention, c.strength, notes(c.cautions)) for c in outline.considered] == [
            (c.intervention, c.strength, notes(c.cautions)) for c in decision.considered
        ]
        assert list(outline.not_recommended) == [
            (n.intervention, n.title, n.rule, n.status) for n in decision.not_recommended
        ]
        assert notes(outline.alerts) == notes(decision.alerts)


def _paths(tree: Any, prefix: str = "") -> list[str]:
    """Every path a projection may name: each object or list, and each leaf."""
    out = []
    for key, sub in tree.items():
        path = prefix + key
        out.append(path)
        if sub is not None:
            out += _paths(sub, path + ".")
    return out


def test_every_single_field_projects_exactly(rulesets: dict[str, ir.RuleSet]) -> None:
    """Each path alone, whichever route it takes (the outline for a field without words, the
    whole decision otherwise), gives the cut of the full decision."""
    cases = _cases()[:12]
    for path in _paths(FIELDS):
        projection = Projection((path,))
        for name, case in cases:
            decision = rulesets[name].evaluate(case)
            expected = json.dumps(project(decision.to_dict(), projection.tree))
            assert json.dumps(projection.evaluate(rulesets[name], case)) == expected, path


def _change_everything(data: Any) -> None:
    """Change every list and dict in JSON-ready data in place, as a caller redacting or adding to
    what it was given might."""
    if isinstance(data, dict):
        for value in data.values():
            _change_everything(value)
        data["changed by the caller"] = True
    elif isinstance(data, list):
        for value in data:
            _change_everything(value)
        data.append("changed by the caller")


def _given(decision: ir.Decision, projection: Projection | None) -> dict[str, Any]:
    return decision.to_dict() if projection is None else projection.of(decision)


@pytest.mark.parametrize(
    "paths", [None, *SELECTIONS], ids=lambda p: "to_dict" if p is None else ",".join(p)[:40]
)
def test_what_a_decision_gives_as_json_is_the_callers_to_change(
    rulesets: dict[str, ir.RuleSet], paths: tuple[str, ...] | None
) -> None:
    """Changing the data that ``to_dict`` or a projection gave changes nothing in the decision:
    not what it gives next, nor its other parts (explanations of one rule share the values the
    assessment recorded)."""
    projection = None if paths is None else Projection(paths)
    seen_lists = 0
    for name, assessment in _cases():
        decision = rulesets[name].evaluate(assessment)
        before = json.dumps(_given(decision, projection))
        first = _given(decision, projection)
        seen_lists += json.dumps(first).count("[")
        _change_everything(first)
        assert json.dumps(_given(decision, projection)) == before
        assert "changed by the caller" not in json.dumps(decision.to_dict())
    assert seen_lists  # the cases do hold lists, list features' matched values among them
