"""Tests of the default rule set in ``rules/`` that scenario files cannot express.

The clinical vignettes live in ``scenarios/*.scenario.yaml``, one file per article section and
safety item, with the rule set's own invariants; the pytest plugin runs them as tests, and
``test_scenarios_cover_every_rule_and_notice_every_change`` runs them through
``intervention-rules test`` with coverage and mutation testing. What stays here: the safety
layer's invariants over generated assessments (with the invariants declared in the scenario
files), the explanation texts and evidence grades a clinician reads, the deletion of rules from a
copy of ``rules/``, and the traceability between ``docs/clinical-content.md`` and the rules.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import intervention_rules as ir
from intervention_rules.testing import check_decision, load_invariants

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules"
SCENARIOS = ROOT / "scenarios"
DOC = ROOT / "docs" / "clinical-content.md"

MEDICINES = ("ssri", "snri", "mood_stabilizer", "antipsychotic")
PSYCHOLOGICAL = ("cbt", "dbt", "mindfulness", "individual_counseling", "group_therapy", "family_therapy")
PRESCRIBERS = {"psychiatrist", "child_and_adolescent_psychiatrist", "primary_care_physician"}
ALWAYS = ("safety_plan", "aftercare_plan", "relapse_prevention", "collaborative_care")
CONDITION_FOR = {
    "ssri": {"depression", "anxiety"},
    "snri": {"depression", "anxiety"},
    "mood_stabilizer": {"bipolar_disorder"},
    "antipsychotic": {"psychotic_symptoms"},
}
RISK_WORDING = re.compile(r"risk[ -]?(score|level|tier|rating)", re.IGNORECASE)
NO_RISK_RULE = "NEVER-RISK-SCORE"
RULE_ID = re.compile(r"^[A-Z][A-Z0-9-]*$")
# The ages at which the rule set's age bands change, and their neighbours.
AGE_BOUNDARIES = (0, 12, 13, 17, 18, 24, 25, 26, 54, 55, 120)


@functools.cache
def _ruleset() -> ir.RuleSet:
    """The default rule set, loaded once for the whole module (a RuleSet is immutable)."""
    return ir.load_ruleset(str(RULES))


@functools.cache
def _invariants() -> tuple[Any, ...]:
    """The invariants the scenario files declare about the default rule set."""
    return load_invariants(SCENARIOS, _ruleset())


@pytest.fixture
def ruleset() -> ir.RuleSet:
    return _ruleset()


class View:
    """A decision as a reviewing clinician reads it."""

    def __init__(self, decision: dict[str, Any]) -> None:
        self.d = decision
        self.recs = {r["intervention"]: r for r in decision["recommendations"]}
        self.not_recommended = {n["intervention"]: n for n in decision["not_recommended"]}
        self.alerts = {a["rule"]: a for a in decision["alerts"]}

    def rank(self, intervention: str) -> int:
        return int(self.recs[intervention]["rank"])

    def strength(self, intervention: str) -> float:
        return float(self.recs[intervention]["strength"])

    def above(self, upper: str, lower: str) -> bool:
        return self.rank(upper) < self.rank(lower)

    def cautions(self, intervention: str) -> set[str]:
        return {c["rule"] for c in self.recs[intervention]["cautions"]}

    def roles(self, intervention: str) -> set[str]:
        return {c["role"] for c in self.recs[intervention]["collaboration"]}

    def prompts(self, intervention: str, role: str) -> list[str]:
        return [c["prompt"] for c in self.recs[intervention]["collaboration"] if c["role"] == role]

    def caution_text(self, intervention: str, rule: str) -> str:
        return next(c["text"] for c in self.recs[intervention]["cautions"] if c["rule"] == rule)

    def explanation(self, intervention: str, rule: str) -> dict[str, Any]:
        return next(e for e in self.recs[intervention]["explanations"] if e["rule"] == rule)


def decide(ruleset: ir.RuleSet, **assessment: Any) -> View:
    return View(ruleset.evaluate(assessment).to_dict())


# --------------------------------------------------------------------------------------------
# The scenario files, through the command line: coverage, mutation testing, deleted rules
# --------------------------------------------------------------------------------------------


# The surviving mutants accepted in the scenario files (see their reasons there): both change only
# the matched inputs listed in some explanations. (Version 1.2.3 removed the action whose removal
# changed no decision at all: a prompt on the SNRI card under 18, where no SNRI is ever suggested.)
ACCEPTED_MUTANTS = {
    "drop:MED-SNRI-DEPRESSION-ANXIETY-ADULT:then[1]",
    "drop:MED-SNRI-DEPRESSION-ANXIETY-ADULT:then[2]",
}


def _run_test_command(rules: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "intervention_rules", "test", "--rules", str(rules), *options, str(SCENARIOS)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )


def test_scenarios_cover_every_rule_and_notice_every_change(ruleset: ir.RuleSet) -> None:
    """The CI gate of issue 4: every scenario passes, every rule fires in one (and every test in a
    condition is seen both true and false), and every mutant of the rule set is noticed by some
    scenario, except the equivalent ones the scenario files accept with a reason. In particular
    every ``remove:`` mutant is killed: deleting any rule is noticed."""
    result = _run_test_command(
        RULES, "--min-coverage", "100", "--min-condition-coverage", "100", "--mutate", "--format", "json"
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr
    report = json.loads(result.stdout)
    assert report["ok"]
    assert report["failed"] == 0
    assert report["shortfalls"] == []
    assert report["coverage"]["rules"]["percent"] == 100
    assert report["coverage"]["conditions"]["percent"] == 100
    mutation = report["mutation"]
    assert mutation["survived"] == 0
    assert mutation["invalid"] == 0
    assert mutation["stale_acceptances"] == []
    status = {r["mutant"]: r["status"] for r in mutation["results"]}
    live = [rule for rule in ruleset.rules if rule.status != "retired"]  # retired rules never evaluate
    assert {f"remove:{rule.id}" for rule in live} <= {m for m, s in status.items() if s == "killed"}
    # Accepting a survivor says a change to clinical content needs no test: it is a reviewed
    # decision, so a new acceptance must be made here too, not only in a scenario file.
    assert {m for m, s in status.items() if s == "accepted"} == ACCEPTED_MUTANTS


def _without_rule(tmp_path: Path, rule_id: str) -> Path:
    """A copy of rules/ with one rule deleted from its YAML file."""
    copy = tmp_path / "rules"
    shutil.copytree(RULES, copy)
    for path in copy.glob("*.yaml"):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        rules = document.get("rules") if isinstance(document, dict) else None
        if rules and any(r["id"] == rule_id for r in rules):
            document["rules"] = [r for r in rules if r["id"] != rule_id]
            path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
            return copy
    raise AssertionError(f"no rule {rule_id} in rules/")


@pytest.mark.parametrize(
    "rule_id",
    [
        "REASON-COMMUNICATION-GROUP",  # one of four rules a single reason triggers
        "MED-ANTIPSYCHOTIC-PSYCHOTIC-SYMPTOMS",  # a medicine's only recommending rule
        "FACT-CO-OCCURRING-CONDITION",  # a derived fact
        "MEDS-VENLAFAXINE-OVERDOSE",  # an adjustment and a caution
        "AGE-U18-SNRI-NOT",  # a not-recommendation behind another rule's age limit
        "SAFEGUARD-FAMILY-INFORMATION",  # a collaboration prompt only
    ],
)
def test_deleting_a_rule_from_a_copy_of_rules_fails_the_scenarios(tmp_path: Path, rule_id: str) -> None:
    """The rule set without the rule is still a valid rule set, and ``intervention-rules test``
    fails on it: a scenario file that names the rule no longer fits the rule set; where none names
    it, a scenario's expectations fail. (The ``remove:`` mutants of the gate above prove the second
    for every rule.)"""
    rules = _without_rule(tmp_path, rule_id)
    assert rule_id not in {r.id for r in ir.load_ruleset(rules).rules}
    result = _run_test_command(rules)
    assert result.returncode == 1, result.stdout + result.stderr
    scenario_text = "\n".join(p.read_text(encoding="utf-8") for p in SCENARIOS.glob("*.scenario.yaml"))
    if re.search(rf"(?<![\w-]){re.escape(rule_id)}(?![\w-])", scenario_text):
        assert f"unknown rule '{rule_id}'" in result.stderr
        assert result.stdout == ""
    else:
        assert result.stderr == ""
        assert re.search(r"^FAILED \S+\.scenario\.yaml:\d+: ", result.stdout, re.MULTILINE)
        assert re.search(r"scenarios in \d+ files: \d+ passed, [1-9]\d* failed", result.stdout)


def test_every_rule_file_has_a_scenario_file() -> None:
    """One scenario file per article section and safety item, named like its rule file (the age
    bands and medicine names of 05-derived-facts are tested where they are used, in 72 and 73),
    and one for the assessment vocabulary."""
    rule_files = {p.stem for p in RULES.glob("[0-9]*.yaml")} - {"05-derived-facts"} | {"vocabulary"}
    scenario_files = {p.name.removesuffix(".scenario.yaml") for p in SCENARIOS.glob("*.scenario.yaml")}
    assert rule_files <= scenario_files


# --------------------------------------------------------------------------------------------
# What a scenario file cannot say: explanation texts, evidence grades, reasons for ruling out
# --------------------------------------------------------------------------------------------


def test_an_explanation_names_the_reason_that_triggered_it(ruleset: ir.RuleSet) -> None:
    v = decide(ruleset, age=14, reasons=["emotional_regulation"], pattern="first_episode")
    explanation = v.explanation("dbt", "REASON-EMOTIONAL-REGULATION-DBT")
    assert "emotional regulation" in explanation["text"]
    assert explanation["matched"] == {"reasons": ["emotional_regulation"]}
    v = decide(ruleset, age=34, reasons=["self_punishment"], pattern="repeated")
    assert "self punishment" in v.explanation("cbt", "REASON-SELF-PUNISHMENT-CBT")["text"]


def test_weak_evidence_is_said_in_the_explanation_and_graded(ruleset: ir.RuleSet) -> None:
    """Where the article and the evidence differ, the explanation says so and carries the grade."""
    v = decide(ruleset, age=34, reasons=["self_punishment"], pattern="repeated")
    mindfulness = v.explanation("mindfulness", "REASON-SELF-PUNISHMENT-MINDFULNESS")
    assert "weak" in mindfulness["text"]
    assert [e["grade"] for e in mindfulness["evidence"]] == ["not_graded", "very_low"]  # article, then grade
    v = decide(ruleset, age=29, reasons=["emotional_regulation"], pattern="repeated")
    assert "uncertain" in v.explanation("dbt", "AGE-ADULT-DBT-EVIDENCE")["text"]
    assert "CBT-informed" in v.explanation("dbt", "AGE-ADULT-DBT-BELOW-CBT")["text"]
    v = decide(ruleset, age=15, reasons=["coping"], pattern="repeated")
    assert "little support" in v.explanation("group_therapy", "SUPP-GROUP-ADOLESCENT-EVIDENCE")["text"]
    v = decide(ruleset, age=44, conditions=["depression"], medications=[])
    assert "not the self-harm itself" in v.explanation("ssri", "MED-SSRI-DEPRESSION-ANXIETY")["text"]


def test_what_is_ruled_out_says_why(ruleset: ir.RuleSet) -> None:
    """A not-recommendation carries its reason: no condition, no SNRI under 18, safeguarding first."""
    v = decide(ruleset, age=33, conditions=[], reasons=["coping"])
    for medicine, rule in (
        ("ssri", "NEVER-SSRI-WITHOUT-CONDITION"),
        ("snri", "NEVER-SNRI-WITHOUT-CONDITION"),
        ("mood_stabilizer", "NEVER-MOOD-STABILIZER-WITHOUT-CONDITION"),
        ("antipsychotic", "NEVER-ANTIPSYCHOTIC-WITHOUT-CONDITION"),
    ):
        assert v.not_recommended[medicine]["rule"] == rule
        assert "never a treatment for self-harm itself" in v.not_recommended[medicine]["text"]
    assert "not recorded" in decide(ruleset, age=33).not_recommended["ssri"]["text"]
    v = decide(ruleset, age=16, conditions=["depression"], medications=[])
    assert v.not_recommended["snri"]["rule"] == "AGE-U18-SNRI-NOT"
    assert "venlafaxine" in v.not_recommended["snri"]["text"]
    v = decide(ruleset, age=30, family={"involved": True, "safeguarding_concern": True})
    assert "safeguarding comes first" in v.not_recommended["family_therapy"]["text"]


# --------------------------------------------------------------------------------------------
# Safeguarding: no prompt or caution involves family without naming the concern
# --------------------------------------------------------------------------------------------

FAMILY_WORDING = re.compile(r"\b(family|families|carers?|parents?)\b", re.IGNORECASE)


def _family_involving_texts(decision: dict[str, Any]) -> list[str]:
    """Prompts and cautions that mention family or carers and do not come from a safeguarding rule
    (a safeguarding-aware alternative names the safeguarding concern itself)."""
    found = []
    for rec in decision["recommendations"]:
        items = [(c.get("rule"), c["prompt"]) for c in rec["collaboration"]]
        items += [(c.get("rule"), c["text"]) for c in rec["cautions"]]
        for rule, text in items:
            if FAMILY_WORDING.search(text) and "safeguarding" not in text.lower():
                found.append(f"{rec['intervention']} ({rule}): {text}")
    return found


def test_no_family_involving_text_under_a_safeguarding_concern(ruleset: ir.RuleSet) -> None:
    """Review finding C2: with a safeguarding concern no prompt or caution tells the clinician to
    involve family without naming the concern (the scenario in 74-safeguarding checks which
    safeguarding-aware prompts replace them; a scenario cannot say that no text mentions family)."""
    v = decide(
        ruleset,
        age=15,
        reasons=["emotional_regulation"],
        pattern="frequent",
        conditions=["depression"],
        family={"involved": True, "conflict": True, "safeguarding_concern": True},
    )
    assert _family_involving_texts(v.d) == []
    assert "family" not in v.caution_text("ssri", "AGE-U25-ANTIDEPRESSANT-WARNING")


# --------------------------------------------------------------------------------------------
# Medicine names: one source of truth
# --------------------------------------------------------------------------------------------


def _medication_tests(node: Any) -> list[tuple[str, list[str]]]:
    """Every (operator, names) test on ``medications`` inside a rule's ``when``."""
    found: list[tuple[str, list[str]]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "medications" and isinstance(value, dict):
                found.extend((op, list(names)) for op, names in value.items() if isinstance(names, list))
            else:
                found.extend(_medication_tests(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_medication_tests(item))
    return found


@functools.cache
def _medicine_name_lists() -> tuple[frozenset[str], frozenset[str]]:
    """The names the derived-fact rules match, and the names the unrecognised-medicine rule accepts."""
    checked: set[str] = set()
    recognised: set[str] = set()
    for path in sorted(RULES.glob("*.yaml")):
        for rule in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("rules", []):
            for op, names in _medication_tests(rule["when"]):
                if op == "contains_any":
                    checked.update(names)
                elif op == "contains_other_than":
                    recognised.update(names)
    return frozenset(checked), frozenset(recognised)


def test_the_recognised_list_is_exactly_the_names_the_rules_check() -> None:
    """One source of truth: the unrecognised-medicine rule recognises exactly the names that the
    derived-fact rules match, so a name added to one list and not the other fails here."""
    checked, recognised = _medicine_name_lists()
    assert checked
    assert recognised == checked


# --------------------------------------------------------------------------------------------
# Safety layer: no risk score
# --------------------------------------------------------------------------------------------


def _walk(value: Any, path: str = "") -> list[tuple[str, Any]]:
    out = [(path, value)]
    if isinstance(value, dict):
        for key, item in value.items():
            out.append((f"{path}.{key}", key))
            out.extend(_walk(item, f"{path}.{key}"))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out.extend(_walk(item, f"{path}[{i}]"))
    return out


def _risk_wording_outside_the_no_risk_alert(decision: dict[str, Any]) -> list[str]:
    problems = []
    scrubbed = dict(decision)
    scrubbed["alerts"] = [a for a in decision["alerts"] if a["rule"] != NO_RISK_RULE]
    for path, value in _walk(scrubbed):
        if isinstance(value, str) and RULE_ID.match(value):
            continue  # a rule id such as NEVER-RISK-SCORE names the rule, it is not a score
        if isinstance(value, str) and RISK_WORDING.search(value):
            problems.append(f"{path}: {value}")
    return problems


def test_no_risk_wording_in_any_rule_text_outside_the_alert(ruleset: ir.RuleSet) -> None:
    v = decide(
        ruleset,
        age=16,
        reasons=["emotional_regulation", "communication"],
        pattern="frequent",
        conditions=["depression", "psychotic_symptoms", "bipolar_disorder"],
        family={"involved": True, "conflict": True, "safeguarding_concern": True},
        medications=["lithium", "venlafaxine"],
        can_become_pregnant=True,
    )
    assert _risk_wording_outside_the_no_risk_alert(v.d) == []
    assert not [p for p, k in _walk(v.d) if isinstance(k, str) and p.endswith("." + k) and "risk" in k]


# --------------------------------------------------------------------------------------------
# Invariants over generated assessments
# --------------------------------------------------------------------------------------------

REASONS = ["emotional_regulation", "coping", "communication", "self_punishment", "sense_of_control"]
MEDICATION_POOL = [
    "lithium",
    "lithium carbonate",
    "sodium valproate",
    "valproate",
    "olanzapine",
    "venlafaxine",
    "sertraline",
    "fluoxetine",
    "citalopram",
    "amitriptyline",
    "phenelzine",
    "duloxetine",
    "paracetamol",
    "ibuprofen",
    "aripiprazole",
    "priadel",
    "depakote",
    "venlafaxine xl",
    "zyprexa",
    "lithum",
]


def _optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


@st.composite
def assessments(draw: st.DrawFn) -> dict[str, Any]:
    """Valid assessments over the default vocabulary, with features recorded or not, ages often
    at the rule set's age boundaries, and current medicines the rules recognise (or not)."""
    age = draw(st.one_of(st.sampled_from(AGE_BOUNDARIES), st.integers(min_value=0, max_value=120)))
    a: dict[str, Any] = {"age": age}
    optional = {
        "reasons": st.lists(st.sampled_from(REASONS), unique=True),
        "conditions": st.lists(
            st.sampled_from(["depression", "anxiety", "bipolar_disorder", "psychotic_symptoms"]), unique=True
        ),
        "pattern": st.sampled_from(["first_episode", "repeated", "frequent"]),
        "can_become_pregnant": st.booleans(),
        "medications": st.lists(st.sampled_from(MEDICATION_POOL), unique=True, max_size=4),
    }
    for name, strategy in optional.items():
        value = draw(_optional(strategy))
        if value is not None:
            a[name] = value
    family = draw(
        _optional(
            st.fixed_dictionaries(
                {},
                optional={
                    "involved": st.booleans(),
                    "conflict": st.booleans(),
                    "safeguarding_concern": st.booleans(),
                },
            )
        )
    )
    if family is not None:
        a["family"] = family
    return a


@settings(max_examples=300, deadline=None)
@given(assessments())
def test_invariants_hold_for_any_assessment(assessment: dict[str, Any]) -> None:
    """The safety layer's invariants (issue 3, item 7) hold for any valid assessment: the
    toolkit's checks (ranking, not-recommended excluded, the ranking constraint, every
    recommendation explained, determinism), the invariants the scenario files declare, and the
    medicine safeguards that no invariant form expresses."""
    ruleset = _ruleset()
    d = check_decision(ruleset, assessment, _invariants()).to_dict()
    v = View(d)
    conditions = set(assessment.get("conditions", []))
    age = assessment["age"]

    assert set(ALWAYS) <= set(v.recs)
    best_psychological = min(v.rank(i) for i in PSYCHOLOGICAL if i in v.recs)
    for medicine in MEDICINES:
        if medicine not in v.recs:
            continue
        # No medicine without its condition, and the explanation says what it is for.
        assert conditions & CONDITION_FOR[medicine], (medicine, assessment)
        assert any("not the self-harm itself" in e["text"] for e in v.recs[medicine]["explanations"])
        # Prescriber prompt, overdose caution, interaction check, condition-only caution.
        assert v.roles(medicine) & PRESCRIBERS
        cautions = v.cautions(medicine)
        assert {"MEDS-OVERDOSE-SUPPLY-REVIEW", "NEVER-MEDICINE-FOR-SELF-HARM", "MED-NEVER-ALONE"} <= cautions
        assert {"MEDS-INTERACTIONS-CURRENT", "MEDS-CURRENT-NOT-RECORDED"} & cautions
        assert v.rank(medicine) > best_psychological
        if age < 18:
            assert "child_and_adolescent_psychiatrist" in v.roles(medicine)
        if medicine in ("ssri", "snri") and age < 25:
            assert "AGE-U25-ANTIDEPRESSANT-WARNING" in cautions
    if age < 18 and conditions & {"depression", "anxiety"}:
        assert v.not_recommended["snri"]["rule"] == "AGE-U18-SNRI-NOT"

    # Every explanation from a rule carries its text and evidence, and names the input values (or
    # their absence) that made the rule fire.
    rule_ids = {r.id for r in ruleset.rules}
    for rec in d["recommendations"]:
        for e in rec["explanations"]:
            if e["rule"] in rule_ids:
                assert e["text"]
                assert e["evidence"]
                assert e["matched"] or e["not_recorded"], e

    # Safeguarding first: with a concern, no family therapy and no prompt or caution that involves
    # family without naming the concern; not recorded, every family prompt asks about safety first.
    concern = assessment.get("family", {}).get("safeguarding_concern")
    if concern is True:
        assert "family_therapy" not in v.recs
        assert _family_involving_texts(d) == [], assessment
    if concern is None:
        for rec in d["recommendations"]:
            for c in rec["collaboration"]:
                if c["role"] == "family_or_carers":
                    assert "safety at home" in c["prompt"] or "safeguarding" in c["prompt"], c

    # Bipolar disorder: the mood stabiliser comes first among medicines, and antidepressants carry
    # the mania caution.
    if "bipolar_disorder" in conditions:
        for antidepressant in ("ssri", "snri"):
            if antidepressant in v.recs:
                assert "MEDS-ANTIDEPRESSANT-WITH-BIPOLAR-DISORDER" in v.cautions(antidepressant)
                if "mood_stabilizer" in v.recs:
                    assert v.above("mood_stabilizer", antidepressant), assessment

    # A recorded medicine the rule set does not recognise is never silently passed over.
    recorded_medicines = set(assessment.get("medications", []))
    unrecognised = recorded_medicines - _medicine_name_lists()[0]
    assert ("MEDS-UNRECOGNISED-MEDICINES" in v.alerts) == bool(unrecognised), assessment

    # No risk score anywhere; no template left unfilled.
    assert NO_RISK_RULE in v.alerts
    assert _risk_wording_outside_the_no_risk_alert(d) == []
    for _path, value in _walk(d):
        if isinstance(value, str):
            assert "{" not in value, value
            assert "}" not in value, value


@st.composite
def adult_assessments(draw: st.DrawFn) -> dict[str, Any]:
    """Valid assessments of adults (18 and over) with reasons and pattern recorded (they carry the
    article's therapy links), everything else as in ``assessments``."""
    assessment = draw(assessments())
    assessment["age"] = draw(st.integers(min_value=18, max_value=120))
    assessment["reasons"] = draw(st.lists(st.sampled_from(REASONS), unique=True))
    assessment["pattern"] = draw(st.sampled_from(["first_episode", "repeated", "frequent"]))
    return assessment


@settings(max_examples=200, deadline=None)
@given(adult_assessments())
def test_adults_cbt_informed_option_ranks_first_among_psychological_therapies(
    assessment: dict[str, Any],
) -> None:
    """Review finding M4: for adults the CBT-informed intervention (NICE NG225, draft) ranks above
    every other psychological or supportive therapy, however the article's links add up (a
    strength comparison over generated assessments, which no scenario can state)."""
    v = View(_ruleset().evaluate(assessment).to_dict())
    for other in PSYCHOLOGICAL:
        if other != "cbt" and other in v.recs:
            assert v.strength("cbt") > v.strength(other), (other, assessment)
            assert v.above("cbt", other)


def test_family_or_carers_are_prompted_only_for_their_own_part_without_safeguarding_concern(
    ruleset: ir.RuleSet,
) -> None:
    """A prompt's role is who acts on it. Family or carers get one prompt, the part of the safety
    plan they act on themselves, and only when they take part with the person's agreement and
    safeguarding is recorded as no concern; every other prompt about family goes to a professional."""
    from intervention_rules.model import Collaborate

    family_rules = {
        r.id
        for r in ruleset.rules
        if r.status != "retired"
        for a in r.then
        if isinstance(a, Collaborate) and a.role == "family_or_carers"
    }
    assert family_rules == {"ALWAYS-FAMILY-PART-IN-SAFETY-PLAN"}
    assert all(
        p.role != "family_or_carers" for iv in ruleset.interventions.values() for p in iv.collaboration
    )
    for involved, concern in itertools.product([None, True, False], [None, True, False]):
        family = {
            k: v for k, v in (("involved", involved), ("safeguarding_concern", concern)) if v is not None
        }
        for age in (15, 40):
            v = decide(ruleset, age=age, family=family)
            prompted = any(
                c["role"] == "family_or_carers" for r in v.recs.values() for c in r["collaboration"]
            )
            assert prompted == (involved is True and concern is False), family


def test_mindfulness_never_outranks_dbt_when_self_harm_regulating_emotions_recurs(
    ruleset: ir.RuleSet,
) -> None:
    """Second review, ranking: with emotional regulation and repeated or frequent self-harm,
    mindfulness (no graded evidence for self-harm) never ranks above DBT, whatever other reasons,
    conditions, family and age are recorded (every combination of reasons is tried)."""

    others = ["coping", "communication", "self_punishment", "sense_of_control"]
    checked = 0
    for n in range(len(others) + 1):
        for extra in itertools.combinations(others, n):
            for pattern, age, conditions, family in itertools.product(
                ["repeated", "frequent"],
                [12, 17, 18, 30, 70],
                [[], ["depression"], ["depression", "anxiety"]],
                [None, {"involved": True, "safeguarding_concern": False}],
            ):
                assessment: dict[str, Any] = {
                    "age": age,
                    "reasons": ["emotional_regulation", *extra],
                    "pattern": pattern,
                    "conditions": conditions,
                }
                if family is not None:
                    assessment["family"] = family
                decision = ruleset.evaluate(assessment)
                mindfulness = decision.recommendation("mindfulness")
                dbt = decision.recommendation("dbt")
                assert dbt is not None, assessment
                assert mindfulness is None or mindfulness.rank > dbt.rank, assessment
                checked += 1
    assert checked == 16 * 2 * 5 * 3 * 2


# How a prompt names another intervention, to check that it names only what the decision suggests.
NAMED = {
    "cbt": re.compile(r"\bCBT\b"),
    "dbt": re.compile(r"\bDBT\b"),
    "mindfulness": re.compile(r"mindfulness|MBCT|MBSR", re.IGNORECASE),
    "individual_counseling": re.compile(r"counsell?ing", re.IGNORECASE),
    "group_therapy": re.compile(r"group therapy", re.IGNORECASE),
    "family_therapy": re.compile(r"family therapy", re.IGNORECASE),
}


def test_the_ranking_never_contradicts_its_own_explanations(ruleset: ir.RuleSet) -> None:
    """Ranking consistency (1.2.1), over every combination of reasons, each pattern, ages across
    the bands, conditions and family involvement: a psychological therapy that some rule suggests
    is never taken to "considered, not suggested" by rules that only say it ranks below another;
    mindfulness is never suggested above DBT, nor instead of it where the person's reasons link to
    both; for adults the CBT-informed option ranks first; and no prompt names another therapy that
    the same decision does not suggest."""
    reasons = ["emotional_regulation", "coping", "communication", "self_punishment", "sense_of_control"]
    checked = 0
    for n in range(len(reasons) + 1):
        for chosen in itertools.combinations(reasons, n):
            for pattern, age, conditions, family in itertools.product(
                [None, "first_episode", "repeated", "frequent"],
                [12, 17, 18, 33, 70],
                [[], ["depression"], ["bipolar_disorder"]],
                [None, {"involved": True, "safeguarding_concern": False}],
            ):
                assessment: dict[str, Any] = {"age": age, "reasons": list(chosen), "conditions": conditions}
                if pattern is not None:
                    assessment["pattern"] = pattern
                if family is not None:
                    assessment["family"] = family
                d = ruleset.evaluate(assessment).to_dict()
                v = View(d)
                considered = {c["intervention"] for c in d["considered"]}
                assert not considered & set(PSYCHOLOGICAL), assessment
                if {"emotional_regulation", "sense_of_control"} & set(chosen):
                    assert "dbt" in v.recs, assessment
                    assert "mindfulness" in v.recs, assessment
                if "mindfulness" in v.recs and "dbt" in v.recs:
                    assert v.above("dbt", "mindfulness"), assessment
                    assert v.strength("mindfulness") <= v.strength("dbt"), assessment
                if age >= 18:
                    others = [o for o in PSYCHOLOGICAL if o != "cbt" and o in v.recs]
                    assert all(v.above("cbt", o) for o in others), assessment
                for own, rec in v.recs.items():
                    for c in rec["collaboration"]:
                        for other, name in NAMED.items():
                            if other != own and name.search(c["prompt"]):
                                assert other in v.recs, (own, other, c["prompt"], assessment)
                checked += 1
    assert checked == 32 * 4 * 5 * 3 * 2


# --------------------------------------------------------------------------------------------
# Governance and traceability
# --------------------------------------------------------------------------------------------


def test_every_rule_carries_its_governance_metadata(ruleset: ir.RuleSet) -> None:
    """A reviewer reading rules/ can tell source, grade, confidence, reviewer and review date."""
    for rule in ruleset.rules:
        assert rule.evidence, rule.id
        assert rule.author.startswith("intervention-rules clinical content team")
        last, due = rule.last_reviewed, rule.review_due
        assert last <= due <= last + dt.timedelta(days=366), rule.id
        if rule.status == "active":
            assert rule.reviewer, rule.id
            assert all(e.confidence == "high" for e in rule.evidence), rule.id
        elif rule.status == "retired":  # kept for the record; its evidence says why it went
            assert any("Retired in" in (e.note or "") for e in rule.evidence), rule.id
        else:
            assert rule.status == "draft"
            weak = [e for e in rule.evidence if e.confidence != "high"]
            assert weak, f"{rule.id} is draft but all its evidence is high confidence"
            assert all(e.note for e in weak), f"{rule.id}: say what must be checked"


def test_vocabulary_and_catalogue_match_the_contract(ruleset: ir.RuleSet) -> None:
    assert list(ruleset.interventions) == [
        "safety_plan",
        "cbt",
        "dbt",
        "mindfulness",
        "individual_counseling",
        "group_therapy",
        "family_therapy",
        "aftercare_plan",
        "relapse_prevention",
        "collaborative_care",
        "ssri",
        "snri",
        "mood_stabilizer",
        "antipsychotic",
    ]
    categories = {i.id: i.category for i in ruleset.interventions.values()}
    assert {k for k, c in categories.items() if c == "pharmacological"} == set(MEDICINES)
    assert {k for k, c in categories.items() if c == "therapeutic"} == {"cbt", "dbt", "mindfulness"}
    assert {
        "psychiatrist",
        "child_and_adolescent_psychiatrist",
        "primary_care_physician",
        "pharmacist",
        "therapist",
        "social_worker",
        "family_or_carers",
        "care_coordinator",
    } <= set(ruleset.roles)
    assert {
        "age",
        "reasons",
        "conditions",
        "pattern",
        "family.involved",
        "family.conflict",
        "family.safeguarding_concern",
        "can_become_pregnant",
        "medications",
    } <= set(ruleset.features)


def _doc_ids() -> tuple[set[str], set[str]]:
    text = DOC.read_text(encoding="utf-8")
    forward = text.split("## From the rules to their sources")[0]
    backticked = re.compile(r"`([A-Z][A-Z0-9-]*)`")
    return set(backticked.findall(text)), set(backticked.findall(forward))


def test_every_rule_id_in_the_clinical_content_guide_exists(ruleset: ir.RuleSet) -> None:
    known = {r.id for r in ruleset.rules} | {c.id for c in ruleset.constraints}
    everywhere, _ = _doc_ids()
    assert everywhere - known == set()


def test_every_rule_is_traced_in_the_clinical_content_guide(ruleset: ir.RuleSet) -> None:
    """Every rule appears both in the source-to-rule tables and in the rule-to-source table."""
    _, forward = _doc_ids()
    rules = {r.id for r in ruleset.rules}
    assert rules - forward == set(), "rules missing from the article and brief tables"
    reverse_text = DOC.read_text(encoding="utf-8").split("## From the rules to their sources")[1]
    in_reverse = set(re.findall(r"^\| `([A-Z][A-Z0-9-]*)` \|", reverse_text, re.MULTILINE))
    assert in_reverse == rules


def test_every_rule_file_points_editors_at_the_schema() -> None:
    """Editors validate rule files as they are typed when the file names its JSON Schema."""
    for path in sorted(RULES.glob("*.yaml")):
        head = path.read_text(encoding="utf-8").splitlines()[:2]
        assert head == [
            "# yaml-language-server: $schema=../docs/schemas/rule-file.schema.json",
            "$schema: ../docs/schemas/rule-file.schema.json",
        ], path.name
    assert (ROOT / "docs" / "schemas" / "rule-file.schema.json").is_file()
