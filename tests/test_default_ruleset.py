"""Clinical scenario and invariant tests of the default rule set in ``rules/``.

Each scenario is a vignette a reviewing clinician would check: what is recommended, in what order,
with which cautions and collaboration prompts, and what is not recommended. The property tests check
the invariants of the safety layer over generated assessments, and the last tests check that
``docs/clinical-content.md`` and the rules trace to each other.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import intervention_rules as ir

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules"
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


@functools.cache
def _ruleset() -> ir.RuleSet:
    """The default rule set, loaded once for the whole module (a RuleSet is immutable)."""
    return ir.load_ruleset(str(RULES))


@pytest.fixture
def ruleset() -> ir.RuleSet:
    return _ruleset()


class View:
    """A decision as a reviewing clinician reads it."""

    def __init__(self, decision: dict[str, Any]) -> None:
        self.d = decision
        self.recs = {r["intervention"]: r for r in decision["recommendations"]}
        self.order = [r["intervention"] for r in decision["recommendations"]]
        self.not_recommended = {n["intervention"]: n for n in decision["not_recommended"]}
        self.alerts = {a["rule"]: a for a in decision["alerts"]}
        self.fired = set(decision["trace"]["fired"])

    def rank(self, intervention: str) -> int:
        return int(self.recs[intervention]["rank"])

    def strength(self, intervention: str) -> float:
        return float(self.recs[intervention]["strength"])

    def above(self, upper: str, lower: str) -> bool:
        return self.rank(upper) < self.rank(lower)

    def cautions(self, intervention: str) -> dict[str, str]:
        """Rule id to severity of each caution on the intervention."""
        return {c["rule"]: c["severity"] for c in self.recs[intervention]["cautions"]}

    def caution_text(self, intervention: str, rule: str) -> str:
        return next(c["text"] for c in self.recs[intervention]["cautions"] if c["rule"] == rule)

    def roles(self, intervention: str) -> set[str]:
        return {c["role"] for c in self.recs[intervention]["collaboration"]}

    def prompts(self, intervention: str, role: str) -> list[str]:
        return [c["prompt"] for c in self.recs[intervention]["collaboration"] if c["role"] == role]

    def explained_by(self, intervention: str) -> set[str]:
        return {e["rule"] for e in self.recs[intervention]["explanations"]}

    def explanation(self, intervention: str, rule: str) -> dict[str, Any]:
        return next(e for e in self.recs[intervention]["explanations"] if e["rule"] == rule)


def decide(ruleset: ir.RuleSet, **assessment: Any) -> View:
    return View(ruleset.evaluate(assessment).to_dict())


# --------------------------------------------------------------------------------------------
# Article section 'Common Reasons for Self-Harm'
# --------------------------------------------------------------------------------------------


class TestReasons:
    def test_adolescent_with_emotional_dysregulation_and_involved_family(self, ruleset: ir.RuleSet) -> None:
        """15, frequent self-harm to regulate emotions, family take part: DBT-A leads, family therapy is
        offered for support but graded down by the SHIFT evidence, and CBT stays above it."""
        v = decide(
            ruleset,
            age=15,
            reasons=["emotional_regulation"],
            pattern="frequent",
            family={"involved": True, "conflict": False, "safeguarding_concern": False},
        )
        assert v.order[0] == "dbt"
        assert {"AGE-U18-DBT-A", "REASON-EMOTIONAL-REGULATION-DBT", "THER-DBT-FREQUENT"} <= v.explained_by(
            "dbt"
        )
        assert "family_or_carers" in v.roles("dbt")
        # NG225 framing is present, but as a draft prompt.
        assert "AGE-U18-DBT-A-NG225" in v.fired
        assert "child_and_adolescent_psychiatrist" in v.roles("dbt")
        # Family therapy: kept, but its adolescent weighting is offset and the reason is shown.
        assert "family_therapy" in v.recs
        assert v.cautions("family_therapy")["SUPP-FAMILY-ADOLESCENT-EVIDENCE"] == "info"
        assert "SHIFT" in v.caution_text("family_therapy", "SUPP-FAMILY-ADOLESCENT-EVIDENCE")
        assert v.above("cbt", "family_therapy")
        assert v.above("dbt", "cbt")
        # Information for family, with the young person's agreement.
        assert any("agree" in p for p in v.prompts("safety_plan", "family_or_carers"))
        assert "mindfulness" in v.recs
        # No coping or communication reason: no group therapy.
        assert "group_therapy" not in v.recs

    def test_emotional_regulation_adolescent_first_episode_gets_article_dbt_not_dbt_a(
        self, ruleset: ir.RuleSet
    ) -> None:
        """DBT-A's high-certainty evidence is for repeated self-harm: a first episode gets the article's
        DBT link only, and the explanation names the reason that triggered it."""
        v = decide(ruleset, age=14, reasons=["emotional_regulation"], pattern="first_episode")
        assert "dbt" in v.recs
        assert "AGE-U18-DBT-A" not in v.fired
        explanation = v.explanation("dbt", "REASON-EMOTIONAL-REGULATION-DBT")
        assert "emotional regulation" in explanation["text"]
        assert explanation["matched"] == {"reasons": ["emotional_regulation"]}

    def test_adult_self_punishment(self, ruleset: ir.RuleSet) -> None:
        """Guilt and shame: CBT gains the article's link; mindfulness is offered with weak evidence said."""
        v = decide(ruleset, age=34, reasons=["self_punishment"], pattern="repeated")
        assert "REASON-SELF-PUNISHMENT-CBT" in v.explained_by("cbt")
        assert "self punishment" in v.explanation("cbt", "REASON-SELF-PUNISHMENT-CBT")["text"]
        assert "mindfulness" in v.recs
        assert "weak" in v.explanation("mindfulness", "REASON-SELF-PUNISHMENT-MINDFULNESS")["text"]
        assert "THER-MINDFULNESS-NOT-FOR-SELF-HARM-ALONE" in v.cautions("mindfulness")
        assert v.above("cbt", "mindfulness")
        evidence = v.explanation("mindfulness", "REASON-SELF-PUNISHMENT-MINDFULNESS")["evidence"]
        assert evidence[0]["grade"] == "very_low"

    def test_communication_is_not_attention_seeking(self, ruleset: ir.RuleSet) -> None:
        """Self-harm that communicates distress: an alert against the attention-seeking label, and
        counselling, group therapy and DBT's interpersonal skills."""
        v = decide(ruleset, age=22, reasons=["communication"])
        assert "not attention-seeking" in v.alerts["REASON-COMMUNICATION-NOT-ATTENTION-SEEKING"]["text"]
        assert {"individual_counseling", "group_therapy", "dbt"} <= set(v.recs)
        # Family involvement not recorded: no family therapy, and the gap is named.
        assert "family_therapy" not in v.recs
        assert "SUPP-FAMILY-INVOLVEMENT-NOT-RECORDED" in v.alerts

    def test_coping_and_sense_of_control(self, ruleset: ir.RuleSet) -> None:
        v = decide(ruleset, age=40, reasons=["coping", "sense_of_control"])
        assert "REASON-COPING-CBT" in v.explained_by("cbt")
        assert "REASON-COPING-COUNSELLING" in v.explained_by("individual_counseling")
        assert "REASON-COPING-GROUP" in v.explained_by("group_therapy")
        assert "REASON-SENSE-OF-CONTROL-DBT" in v.explained_by("dbt")
        assert "REASON-SENSE-OF-CONTROL-MINDFULNESS" in v.explained_by("mindfulness")
        # Adults: no group-therapy penalty for adolescents.
        assert "SUPP-GROUP-ADOLESCENT-EVIDENCE" not in v.fired

    def test_reasons_not_recorded_is_said_and_nothing_rests_on_them(self, ruleset: ir.RuleSet) -> None:
        v = decide(ruleset, age=30)
        assert "REASON-NOT-RECORDED" in v.alerts
        assert not {r for r in v.fired if r.startswith("REASON-") and r != "REASON-NOT-RECORDED"}

    def test_empty_reasons_is_not_the_same_as_not_recorded(self, ruleset: ir.RuleSet) -> None:
        v = decide(ruleset, age=30, reasons=[])
        assert "REASON-NOT-RECORDED" not in v.alerts


# --------------------------------------------------------------------------------------------
# Article section 'The Importance of Interventions': early intervention
# --------------------------------------------------------------------------------------------


class TestEarlyIntervention:
    def test_first_episode_adult(self, ruleset: ir.RuleSet) -> None:
        """A first episode: start structured therapy now and follow up promptly."""
        v = decide(ruleset, age=27, pattern="first_episode", reasons=[], conditions=[])
        assert "EARLY-FIRST-EPISODE" in v.explained_by("cbt")
        assert "EARLY-FIRST-EPISODE" in v.explained_by("relapse_prevention")
        assert any("prompt follow-up" in p for p in v.prompts("aftercare_plan", "care_coordinator"))
        # For an adult the CBT-informed option, weighted for a first episode, leads; the safety plan
        # (for everyone) follows.
        assert v.strength("cbt") == 5
        assert v.strength("safety_plan") == 4
        assert v.order[:2] == ["cbt", "safety_plan"]
        assert "EARLY-ESTABLISHED-PATTERN" not in v.fired
        assert "dbt" not in v.recs

    def test_first_episode_adolescent(self, ruleset: ir.RuleSet) -> None:
        v = decide(ruleset, age=13, pattern="first_episode")
        assert "EARLY-FIRST-EPISODE" in v.fired
        assert v.strength("relapse_prevention") == 3

    def test_frequent_self_harm_adult(self, ruleset: ir.RuleSet) -> None:
        """Frequent self-harm: long-term aftercare and relapse prevention weigh more, DBT is suggested,
        collaborative care for complex needs, and no risk rating is made of it."""
        v = decide(ruleset, age=31, pattern="frequent", reasons=["emotional_regulation"])
        assert "EARLY-ESTABLISHED-PATTERN" in v.explained_by("aftercare_plan")
        assert "EARLY-ESTABLISHED-PATTERN" in v.explained_by("relapse_prevention")
        assert "COLLAB-CARE-FREQUENT" in v.explained_by("collaborative_care")
        assert "THER-DBT-FREQUENT" in v.explained_by("dbt")
        # Adults: DBT is adjusted down and CBT-informed therapy comes first.
        assert "AGE-ADULT-DBT-EVIDENCE" in v.explained_by("dbt")
        assert v.cautions("dbt")["AGE-ADULT-DBT-EVIDENCE"] == "info"
        assert v.above("cbt", "dbt")
        assert NO_RISK_RULE in v.alerts

    def test_frequent_self_harm_adolescent(self, ruleset: ir.RuleSet) -> None:
        v = decide(ruleset, age=16, pattern="frequent", reasons=["emotional_regulation", "coping"])
        assert v.order[0] == "dbt"
        assert v.strength("aftercare_plan") == 4
        assert "AGE-U18-DBT-A" in v.explained_by("dbt")
        assert v.cautions("group_therapy")["SUPP-GROUP-ADOLESCENT-EVIDENCE"] == "info"

    def test_pattern_not_recorded(self, ruleset: ir.RuleSet) -> None:
        v = decide(ruleset, age=16, reasons=["emotional_regulation"])
        assert "EARLY-PATTERN-NOT-RECORDED" in v.alerts
        assert "AGE-U18-DBT-A" not in v.fired


# --------------------------------------------------------------------------------------------
# Article section 'Therapeutic Interventions': CBT, DBT, mindfulness
# --------------------------------------------------------------------------------------------


class TestTherapeutic:
    def test_adult_with_nothing_else_recorded(self, ruleset: ir.RuleSet) -> None:
        """The minimum: safety plan, CBT, aftercare, relapse prevention, collaborative care, in that order."""
        v = decide(ruleset, age=45)
        assert v.order == ["safety_plan", "cbt", "aftercare_plan", "relapse_prevention", "collaborative_care"]
        assert "AGE-ADULT-CBT-INFORMED-FIRST" in v.explained_by("cbt")
        # CBT reaches the safety plan's strength; the catalogue order keeps the safety plan first.
        assert v.strength("cbt") == v.strength("safety_plan") == 4
        assert set(v.not_recommended) == set(MEDICINES)
        assert "THER-INDIVIDUALISED-JUDGEMENT" in v.alerts

    def test_adult_emotional_regulation_dbt_below_cbt(self, ruleset: ir.RuleSet) -> None:
        v = decide(ruleset, age=29, reasons=["emotional_regulation"], pattern="repeated")
        assert v.strength("dbt") == 0.5
        assert v.above("cbt", "dbt")
        assert "uncertain" in v.explanation("dbt", "AGE-ADULT-DBT-EVIDENCE")["text"]
        assert "CBT-informed" in v.explanation("dbt", "AGE-ADULT-CBT-INFORMED-FIRST")["text"]

    def test_adult_with_every_dbt_link_still_has_cbt_first(self, ruleset: ir.RuleSet) -> None:
        """Review finding M4: the article's DBT links (emotional regulation, communication, sense of
        control, frequent self-harm) add up, yet for an adult the CBT-informed option stays first."""
        v = decide(
            ruleset,
            age=30,
            reasons=["emotional_regulation", "communication", "sense_of_control"],
            pattern="frequent",
        )
        assert v.above("cbt", "dbt")
        assert v.strength("cbt") > v.strength("dbt")
        assert {"AGE-ADULT-CBT-INFORMED-FIRST", "AGE-ADULT-DBT-EVIDENCE"} <= v.explained_by("dbt")
        # Under 18 the high-certainty DBT-A evidence keeps DBT first.
        v = decide(ruleset, age=16, reasons=["emotional_regulation"], pattern="frequent")
        assert v.above("dbt", "cbt")

    def test_adult_depression_mindfulness_relapse(self, ruleset: ir.RuleSet) -> None:
        """MBCT gains weight for an adult with depression, for relapse of depression, not self-harm."""
        v = decide(ruleset, age=52, reasons=["emotional_regulation"], conditions=["depression"])
        assert "THER-MINDFULNESS-DEPRESSION-RELAPSE" in v.explained_by("mindfulness")
        assert v.strength("mindfulness") == 1.5

    def test_adolescent_depression_gets_no_adult_mbct_adjustment(self, ruleset: ir.RuleSet) -> None:
        v = decide(ruleset, age=16, reasons=["emotional_regulation"], conditions=["depression"])
        assert "THER-MINDFULNESS-DEPRESSION-RELAPSE" not in v.fired
        assert v.strength("mindfulness") == 1


# --------------------------------------------------------------------------------------------
# Article section 'Supportive Interventions': counselling, group, family
# --------------------------------------------------------------------------------------------


class TestSupportive:
    def test_family_not_taking_part(self, ruleset: ir.RuleSet) -> None:
        v = decide(ruleset, age=17, reasons=["communication"], family={"involved": False, "conflict": True})
        assert "family_therapy" not in v.recs
        assert v.not_recommended["family_therapy"]["rule"] == "SUPP-FAMILY-NOT-INVOLVED"
        assert "SUPP-FAMILY-CONFLICT-NOT-INVOLVED" in v.alerts
        assert "individual_counseling" in v.recs

    def test_family_conflict_with_family_taking_part(self, ruleset: ir.RuleSet) -> None:
        v = decide(
            ruleset, age=38, family={"involved": True, "conflict": True, "safeguarding_concern": False}
        )
        assert {"SUPP-FAMILY-INVOLVED", "SUPP-FAMILY-CONFLICT"} <= v.explained_by("family_therapy")
        assert "SUPP-FAMILY-ADOLESCENT" not in v.fired
        assert "family_or_carers" in v.roles("relapse_prevention")

    def test_adolescent_group_therapy_is_graded_down(self, ruleset: ir.RuleSet) -> None:
        v = decide(ruleset, age=15, reasons=["coping"], pattern="repeated")
        assert v.strength("group_therapy") == 0.5
        assert v.above("individual_counseling", "group_therapy")
        assert "little support" in v.explanation("group_therapy", "SUPP-GROUP-ADOLESCENT-EVIDENCE")["text"]

    def test_adult_group_therapy_not_graded_down(self, ruleset: ir.RuleSet) -> None:
        v = decide(ruleset, age=25, reasons=["coping"])
        assert v.strength("group_therapy") == 1
        assert "SUPP-GROUP-ADOLESCENT-EVIDENCE" not in v.fired


# --------------------------------------------------------------------------------------------
# Article section 'Psychopharmacological Interventions'
# --------------------------------------------------------------------------------------------


class TestMedication:
    def test_adult_with_depression(self, ruleset: ir.RuleSet) -> None:
        """An SSRI and an SNRI may be considered for the depression, never above CBT, SSRI before SNRI,
        each with the overdose, interaction and prescriber safeguards."""
        v = decide(ruleset, age=44, conditions=["depression"], medications=[])
        assert {"ssri", "snri"} <= set(v.recs)
        assert v.above("cbt", "ssri")
        assert v.above("ssri", "snri")
        for medicine in ("ssri", "snri"):
            cautions = v.cautions(medicine)
            assert cautions["MEDS-OVERDOSE-SUPPLY-REVIEW"] == "warning"
            assert "MEDS-INTERACTIONS-CURRENT" in cautions
            assert "NEVER-MEDICINE-FOR-SELF-HARM" in cautions
            assert "MED-NEVER-ALONE" in cautions
            assert {"psychiatrist", "primary_care_physician", "pharmacist", "therapist"} <= v.roles(medicine)
            assert "AGE-U25-ANTIDEPRESSANT-WARNING" not in cautions
        assert "not the self-harm itself" in v.explanation("ssri", "MED-SSRI-DEPRESSION-ANXIETY")["text"]
        assert v.cautions("snri")["MEDS-VENLAFAXINE-OVERDOSE"] == "warning"
        assert "duloxetine" in v.caution_text("snri", "MEDS-VENLAFAXINE-OVERDOSE")
        assert v.alerts["NEVER-WITHHOLD-DEPRESSION-TREATMENT"]["severity"] == "warning"
        assert {"mood_stabilizer", "antipsychotic"} <= set(v.not_recommended)
        assert "MED-COLLABORATIVE-APPROACH" in v.explained_by("collaborative_care")

    def test_adult_with_anxiety_and_medicines_not_recorded(self, ruleset: ir.RuleSet) -> None:
        v = decide(ruleset, age=60, conditions=["anxiety"])
        assert "MEDS-CURRENT-NOT-RECORDED" in v.cautions("ssri")
        assert "MEDS-INTERACTIONS-CURRENT" not in v.cautions("ssri")
        assert "NEVER-WITHHOLD-DEPRESSION-TREATMENT" not in v.alerts

    def test_bipolar_disorder_in_someone_who_can_become_pregnant(self, ruleset: ir.RuleSet) -> None:
        """Valproate: critical pregnancy and under-55 cautions; lithium monitoring; no antidepressant."""
        v = decide(ruleset, age=28, conditions=["bipolar_disorder"], can_become_pregnant=True, medications=[])
        cautions = v.cautions("mood_stabilizer")
        assert cautions["MEDS-VALPROATE-PREGNANCY"] == "critical"
        assert cautions["MEDS-VALPROATE-UNDER-55"] == "critical"
        assert cautions["MEDS-LITHIUM-MONITORING"] == "warning"
        assert "MEDS-VALPROATE-PREGNANCY-NOT-RECORDED" not in cautions
        assert "1.5 mmol/L" in v.caution_text("mood_stabilizer", "MEDS-LITHIUM-MONITORING")
        assert "Pregnancy Prevention Programme" in v.caution_text(
            "mood_stabilizer", "MEDS-VALPROATE-PREGNANCY"
        )
        assert {"ssri", "snri", "antipsychotic"} <= set(v.not_recommended)
        assert v.above("cbt", "mood_stabilizer")
        assert "psychiatrist" in v.roles("mood_stabilizer")

    def test_bipolar_disorder_with_depression(self, ruleset: ir.RuleSet) -> None:
        """Review finding M3: with bipolar disorder the mood stabiliser comes first among medicines;
        antidepressants rank below it, lowered by a draft rule that says why, with a critical mania
        caution."""
        v = decide(ruleset, age=30, conditions=["bipolar_disorder", "depression"], medications=[])
        assert {"ssri", "snri", "mood_stabilizer"} <= set(v.recs)
        assert v.above("mood_stabilizer", "ssri")
        assert v.above("mood_stabilizer", "snri")
        assert v.strength("mood_stabilizer") > v.strength("ssri") >= v.strength("snri")
        for medicine in ("ssri", "snri"):
            assert v.cautions(medicine)["MEDS-ANTIDEPRESSANT-WITH-BIPOLAR-DISORDER"] == "critical"
            assert "mania" in v.caution_text(medicine, "MEDS-ANTIDEPRESSANT-WITH-BIPOLAR-DISORDER")
            assert "MEDS-ANTIDEPRESSANT-WITH-BIPOLAR-DISORDER" in v.explained_by(medicine)
        assert v.above("cbt", "mood_stabilizer")

    @pytest.mark.parametrize("medicine", ["fluoxetine", "prozac", "venlafaxine xl", "amitriptyline"])
    def test_bipolar_disorder_already_taking_an_antidepressant(
        self, ruleset: ir.RuleSet, medicine: str
    ) -> None:
        """Review finding M3: the mania caution also covers an antidepressant already taken, even when
        no antidepressant is being considered."""
        v = decide(ruleset, age=30, conditions=["bipolar_disorder"], medications=[medicine])
        alert = v.alerts["MEDS-CURRENT-ANTIDEPRESSANT-WITH-BIPOLAR-DISORDER"]
        assert alert["severity"] == "warning"
        assert "mania" in alert["text"]
        assert medicine in alert["text"]
        v = decide(ruleset, age=30, conditions=["depression"], medications=[medicine])
        assert "MEDS-CURRENT-ANTIDEPRESSANT-WITH-BIPOLAR-DISORDER" not in v.alerts

    def test_bipolar_disorder_over_55_pregnancy_not_recorded(self, ruleset: ir.RuleSet) -> None:
        v = decide(ruleset, age=61, conditions=["bipolar_disorder"])
        cautions = v.cautions("mood_stabilizer")
        assert "MEDS-VALPROATE-UNDER-55" not in cautions
        assert cautions["MEDS-VALPROATE-PREGNANCY-NOT-RECORDED"] == "warning"
        assert "MEDS-VALPROATE-PREGNANCY" not in cautions

    def test_psychotic_symptoms_at_15(self, ruleset: ir.RuleSet) -> None:
        """An antipsychotic may be considered for the psychotic symptoms, led by a child and adolescent
        psychiatrist, with the olanzapine adolescent and metabolic cautions."""
        v = decide(ruleset, age=15, conditions=["psychotic_symptoms"], medications=[], pattern="repeated")
        cautions = v.cautions("antipsychotic")
        assert cautions["AGE-OLANZAPINE-ADOLESCENT"] == "warning"
        assert cautions["MEDS-OLANZAPINE-METABOLIC"] == "warning"
        assert cautions["MEDS-OVERDOSE-SUPPLY-REVIEW"] == "warning"
        assert "AGE-OLANZAPINE-UNDER-13" not in cautions
        assert "child_and_adolescent_psychiatrist" in v.roles("antipsychotic")
        assert {"ssri", "snri", "mood_stabilizer"} <= set(v.not_recommended)
        assert v.above("cbt", "antipsychotic")

    def test_psychotic_symptoms_at_12(self, ruleset: ir.RuleSet) -> None:
        v = decide(ruleset, age=12, conditions=["psychotic_symptoms"])
        assert v.cautions("antipsychotic")["AGE-OLANZAPINE-UNDER-13"] == "critical"
        assert "AGE-OLANZAPINE-ADOLESCENT" not in v.cautions("antipsychotic")

    def test_no_co_occurring_condition(self, ruleset: ir.RuleSet) -> None:
        """No condition recorded as present: no medicine, each class not recommended with the reason."""
        v = decide(ruleset, age=33, conditions=[], reasons=["coping"])
        assert not set(MEDICINES) & set(v.recs)
        for medicine, rule in (
            ("ssri", "NEVER-SSRI-WITHOUT-CONDITION"),
            ("snri", "NEVER-SNRI-WITHOUT-CONDITION"),
            ("mood_stabilizer", "NEVER-MOOD-STABILIZER-WITHOUT-CONDITION"),
            ("antipsychotic", "NEVER-ANTIPSYCHOTIC-WITHOUT-CONDITION"),
        ):
            assert v.not_recommended[medicine]["rule"] == rule
            assert "never a treatment for self-harm itself" in v.not_recommended[medicine]["text"]
        assert "NEVER-DRUG-TREATMENT-FOR-SELF-HARM-NG225" in v.alerts
        assert "NEVER-CONDITIONS-NOT-RECORDED" not in v.alerts

    def test_conditions_not_recorded(self, ruleset: ir.RuleSet) -> None:
        v = decide(ruleset, age=33)
        assert "NEVER-CONDITIONS-NOT-RECORDED" in v.alerts
        assert "not recorded" in v.not_recommended["ssri"]["text"]

    def test_nineteen_year_old_starting_an_antidepressant(self, ruleset: ir.RuleSet) -> None:
        """Under 25: boxed warning; 18 to 25: review at one week then within four weeks."""
        v = decide(ruleset, age=19, conditions=["depression"], medications=[], pattern="first_episode")
        for medicine in ("ssri", "snri"):
            assert v.cautions(medicine)["AGE-U25-ANTIDEPRESSANT-WARNING"] == "warning"
            assert any("one week" in p for p in v.prompts(medicine, "primary_care_physician"))
        assert "AGE-18-TO-25-REVIEW-ONE-WEEK" in v.fired
        assert "child_and_adolescent_psychiatrist" not in v.roles("ssri")
        assert set(v.order[:2]) == {"safety_plan", "cbt"}
        assert v.above("cbt", "ssri")

    def test_twenty_six_year_old_has_no_under_25_warning(self, ruleset: ir.RuleSet) -> None:
        v = decide(ruleset, age=26, conditions=["depression"], medications=[])
        assert "AGE-U25-ANTIDEPRESSANT-WARNING" not in v.cautions("ssri")
        assert "AGE-18-TO-25-REVIEW-ONE-WEEK" not in v.fired

    def test_adolescent_with_depression(self, ruleset: ir.RuleSet) -> None:
        """Under 18: specialist assessment first, fluoxetine first, no SNRI; warning for under 25s."""
        v = decide(ruleset, age=16, conditions=["depression"], medications=[])
        assert "snri" not in v.recs
        assert v.not_recommended["snri"]["rule"] == "AGE-U18-SNRI-NOT"
        assert "venlafaxine" in v.not_recommended["snri"]["text"]
        cautions = v.cautions("ssri")
        assert cautions["AGE-U18-ANTIDEPRESSANT-DEPRESSION"] == "warning"
        assert "Fluoxetine first" in v.caution_text("ssri", "AGE-U18-ANTIDEPRESSANT-DEPRESSION")
        assert cautions["AGE-U25-ANTIDEPRESSANT-WARNING"] == "warning"
        assert "child_and_adolescent_psychiatrist" in v.roles("ssri")
        assert "NEVER-WITHHOLD-DEPRESSION-TREATMENT" not in v.alerts

    def test_adolescent_with_anxiety_only(self, ruleset: ir.RuleSet) -> None:
        v = decide(ruleset, age=14, conditions=["anxiety"])
        assert v.not_recommended["snri"]["rule"] == "AGE-U18-SNRI-NOT"
        assert "AGE-U18-ANTIDEPRESSANT-DEPRESSION" not in v.cautions("ssri")
        assert "child_and_adolescent_psychiatrist" in v.roles("ssri")


# --------------------------------------------------------------------------------------------
# Safety layer: medicines already taken
# --------------------------------------------------------------------------------------------


class TestCurrentMedicines:
    def test_already_taking_lithium_with_bipolar_disorder(self, ruleset: ir.RuleSet) -> None:
        """A review of the current lithium, not a second mood stabiliser; level and overdose checks."""
        v = decide(
            ruleset,
            age=47,
            conditions=["bipolar_disorder"],
            medications=["lithium carbonate"],
            can_become_pregnant=False,
        )
        assert v.alerts["MEDS-LITHIUM-CURRENT"]["severity"] == "warning"
        assert "1.5 mmol/L" in v.alerts["MEDS-LITHIUM-CURRENT"]["text"]
        cautions = v.cautions("mood_stabilizer")
        assert cautions["MEDS-LITHIUM-CURRENT-REVIEW"] == "info"
        assert "not adding a second" in v.caution_text("mood_stabilizer", "MEDS-LITHIUM-CURRENT-REVIEW")
        assert cautions["MEDS-LITHIUM-CURRENT-INTERACTIONS"] == "warning"
        assert "lithium carbonate" in v.caution_text("mood_stabilizer", "MEDS-INTERACTIONS-CURRENT")
        assert "MEDS-VALPROATE-PREGNANCY" not in cautions
        assert "MEDS-MOOD-STABILIZER-WITHOUT-BIPOLAR" not in v.alerts

    def test_already_taking_lithium_with_depression_only(self, ruleset: ir.RuleSet) -> None:
        v = decide(ruleset, age=40, conditions=["depression"], medications=["lithium"])
        assert "MEDS-LITHIUM-CURRENT" in v.alerts
        assert "MEDS-MOOD-STABILIZER-WITHOUT-BIPOLAR" in v.alerts
        assert v.cautions("ssri")["MEDS-LITHIUM-CURRENT-INTERACTIONS"] == "warning"
        assert "mood_stabilizer" in v.not_recommended

    def test_already_taking_valproate_and_can_become_pregnant(self, ruleset: ir.RuleSet) -> None:
        v = decide(ruleset, age=24, medications=["sodium valproate"], can_become_pregnant=True)
        assert v.alerts["MEDS-VALPROATE-CURRENT-PREGNANCY"]["severity"] == "critical"
        assert "MEDS-MOOD-STABILIZER-WITHOUT-BIPOLAR" in v.alerts

    def test_already_taking_valproate_pregnancy_not_recorded(self, ruleset: ir.RuleSet) -> None:
        v = decide(ruleset, age=24, medications=["valproate"], conditions=["bipolar_disorder"])
        assert v.alerts["MEDS-VALPROATE-CURRENT-PREGNANCY-NOT-RECORDED"]["severity"] == "warning"
        assert "MEDS-VALPROATE-CURRENT-PREGNANCY" not in v.alerts

    def test_already_taking_venlafaxine(self, ruleset: ir.RuleSet) -> None:
        v = decide(ruleset, age=35, conditions=["depression"], medications=["venlafaxine"])
        assert v.alerts["MEDS-VENLAFAXINE-CURRENT"]["severity"] == "warning"
        assert v.cautions("ssri")["MEDS-SEROTONERGIC-COMBINATION"] == "warning"
        assert "switch or a review" in v.caution_text("ssri", "MEDS-SEROTONERGIC-COMBINATION")

    def test_already_taking_a_tricyclic(self, ruleset: ir.RuleSet) -> None:
        v = decide(ruleset, age=58, medications=["amitriptyline"])
        assert v.alerts["MEDS-TRICYCLIC-CURRENT"]["severity"] == "critical"
        assert "13.8" in v.alerts["MEDS-TRICYCLIC-CURRENT"]["text"]

    def test_already_taking_an_maoi(self, ruleset: ir.RuleSet) -> None:
        v = decide(ruleset, age=50, conditions=["anxiety"], medications=["phenelzine"])
        assert v.cautions("ssri")["MEDS-MAOI-COMBINATION"] == "critical"
        assert v.cautions("snri")["MEDS-MAOI-COMBINATION"] == "critical"

    def test_under_25_already_taking_an_antidepressant(self, ruleset: ir.RuleSet) -> None:
        v = decide(ruleset, age=17, medications=["sertraline"])
        assert v.alerts["AGE-U25-CURRENT-ANTIDEPRESSANT"]["severity"] == "warning"
        v = decide(ruleset, age=30, medications=["sertraline"])
        assert "AGE-U25-CURRENT-ANTIDEPRESSANT" not in v.alerts

    def test_already_taking_olanzapine(self, ruleset: ir.RuleSet) -> None:
        v = decide(ruleset, age=20, medications=["olanzapine"], conditions=["psychotic_symptoms"])
        assert "MEDS-OLANZAPINE-CURRENT" in v.alerts
        assert "olanzapine" in v.caution_text("antipsychotic", "MEDS-INTERACTIONS-CURRENT")


# --------------------------------------------------------------------------------------------
# Review findings: medicine names in common forms (C1)
# --------------------------------------------------------------------------------------------

# A generic salt or modified-release form, or a UK or US brand name, and the alert it must raise
# for someone aged 30 who can become pregnant.
RECOGNISED_FORMS = [
    ("lithium carbonate mr", "MEDS-LITHIUM-CURRENT"),
    ("priadel", "MEDS-LITHIUM-CURRENT"),
    ("camcolit", "MEDS-LITHIUM-CURRENT"),
    ("valproate sodium", "MEDS-VALPROATE-CURRENT-PREGNANCY"),
    ("sodium valproate mr", "MEDS-VALPROATE-CURRENT-PREGNANCY"),
    ("depakote", "MEDS-VALPROATE-CURRENT-PREGNANCY"),
    ("epilim", "MEDS-VALPROATE-CURRENT-PREGNANCY"),
    ("epilim chrono", "MEDS-VALPROATE-CURRENT-PREGNANCY"),
    ("venlafaxine xl", "MEDS-VENLAFAXINE-CURRENT"),
    ("effexor", "MEDS-VENLAFAXINE-CURRENT"),
    ("efexor xl", "MEDS-VENLAFAXINE-CURRENT"),
    ("zyprexa", "MEDS-OLANZAPINE-CURRENT"),
    ("prozac", "AGE-U25-CURRENT-ANTIDEPRESSANT"),
    ("lustral", "AGE-U25-CURRENT-ANTIDEPRESSANT"),
    ("cipralex", "AGE-U25-CURRENT-ANTIDEPRESSANT"),
    ("prothiaden", "MEDS-TRICYCLIC-CURRENT"),
    ("amitriptyline hydrochloride", "MEDS-TRICYCLIC-CURRENT"),
]


class TestMedicineNames:
    @pytest.mark.parametrize(("name", "rule"), RECOGNISED_FORMS)
    def test_common_forms_and_brand_names_raise_the_medicine_alerts(
        self, ruleset: ir.RuleSet, name: str, rule: str
    ) -> None:
        """A medicine recorded as a salt, a modified-release form or a brand name gets the same safety
        alert as its generic name (the valproate Pregnancy Prevention Programme alert included)."""
        age = 20 if rule == "AGE-U25-CURRENT-ANTIDEPRESSANT" else 30
        v = decide(ruleset, age=age, can_become_pregnant=True, medications=[name])
        assert rule in v.alerts, (name, sorted(v.alerts))
        assert "MEDS-UNRECOGNISED-MEDICINES" not in v.alerts

    def test_brand_name_antidepressant_gets_the_combination_caution(self, ruleset: ir.RuleSet) -> None:
        v = decide(ruleset, age=40, conditions=["depression"], medications=["effexor"])
        assert v.cautions("ssri")["MEDS-SEROTONERGIC-COMBINATION"] == "warning"
        v = decide(ruleset, age=40, conditions=["depression"], medications=["nardil"])
        assert v.cautions("ssri")["MEDS-MAOI-COMBINATION"] == "critical"

    @pytest.mark.parametrize("names", [["lithum"], ["paracetamol"], ["aripiprazole", "sertraline"]])
    def test_unrecognised_medicine_names_raise_a_warning(self, ruleset: ir.RuleSet, names: list[str]) -> None:
        """A name the rule set does not recognise (a typo, or a medicine outside its lists) is never
        silently ignored: a warning names the recorded medicines and asks for a medicines review."""
        v = decide(ruleset, age=30, can_become_pregnant=True, medications=names)
        alert = v.alerts["MEDS-UNRECOGNISED-MEDICINES"]
        assert alert["severity"] == "warning"
        assert all(n in alert["text"] for n in names)
        assert "pharmacist" in alert["text"]

    @pytest.mark.parametrize("names", [[], ["lithium", "sertraline"], ["depakote", "venlafaxine xl"]])
    def test_recognised_or_no_medicines_raise_no_unrecognised_warning(
        self, ruleset: ir.RuleSet, names: list[str]
    ) -> None:
        v = decide(ruleset, age=30, medications=names)
        assert "MEDS-UNRECOGNISED-MEDICINES" not in v.alerts

    def test_the_recognised_list_is_exactly_the_names_the_rules_check(self) -> None:
        """One source of truth: the unrecognised-medicine rule recognises exactly the names that the
        derived-fact rules match, so a name added to one list and not the other fails here."""
        checked, recognised = _medicine_name_lists()
        assert checked
        assert recognised == checked


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


# --------------------------------------------------------------------------------------------
# Safety layer: always rules, collaborative care and aftercare
# --------------------------------------------------------------------------------------------


class TestAlwaysAndCollaborativeCare:
    @pytest.mark.parametrize("age", [8, 15, 19, 40, 90])
    def test_safety_plan_aftercare_relapse_prevention_for_everyone(
        self, ruleset: ir.RuleSet, age: int
    ) -> None:
        v = decide(ruleset, age=age)
        assert set(ALWAYS) <= set(v.recs)
        assert v.order[0] == "safety_plan"
        assert any("48 hours" in p for p in v.prompts("aftercare_plan", "care_coordinator"))
        assert any("information" in p for p in v.prompts("safety_plan", "care_coordinator"))

    def test_information_for_family_with_agreement(self, ruleset: ir.RuleSet) -> None:
        v = decide(ruleset, age=40, family={"involved": False, "safeguarding_concern": False})
        prompts = v.prompts("safety_plan", "family_or_carers")
        assert any("agree" in p and "family involved: no" in p for p in prompts)

    def test_aftercare_addresses_recorded_condition(self, ruleset: ir.RuleSet) -> None:
        v = decide(ruleset, age=40, conditions=["anxiety", "depression"])
        prompts = v.prompts("aftercare_plan", "psychiatrist")
        assert any("anxiety" in p and "depression" in p for p in prompts)


# --------------------------------------------------------------------------------------------
# Safety layer: safeguarding
# --------------------------------------------------------------------------------------------


class TestSafeguarding:
    def test_safeguarding_concern_adolescent_with_family_involved(self, ruleset: ir.RuleSet) -> None:
        """Safeguarding procedures first; family therapy not recommended; social worker and safeguarding
        lead; family information only as decided with the safeguarding lead."""
        v = decide(
            ruleset,
            age=14,
            reasons=["communication"],
            conditions=["depression"],
            medications=[],
            family={"involved": True, "conflict": True, "safeguarding_concern": True},
        )
        assert v.alerts["SAFEGUARD-PROCEDURES"]["severity"] == "critical"
        assert v.alerts["SAFEGUARD-UNDER-18"]["severity"] == "critical"
        assert v.not_recommended["family_therapy"]["rule"] == "SAFEGUARD-FAMILY-THERAPY"
        assert "social_worker" in v.roles("collaborative_care")
        assert {"social_worker", "safeguarding_lead"} <= v.roles("safety_plan")
        assert "ALWAYS-INFORMATION-FOR-FAMILY-WITH-AGREEMENT" not in v.fired
        assert "SAFEGUARD-FAMILY-INFORMATION" in v.fired
        assert "MED-SUPPORT-SYSTEM" not in v.fired
        assert "COLLAB-RELAPSE-SUPPORT-NETWORK" not in v.fired
        assert "family_or_carers" not in v.roles("ssri")

    def test_safeguarding_concern_adult(self, ruleset: ir.RuleSet) -> None:
        v = decide(ruleset, age=30, family={"involved": True, "safeguarding_concern": True})
        assert "SAFEGUARD-PROCEDURES" in v.alerts
        assert "SAFEGUARD-UNDER-18" not in v.alerts
        # The article's family link is overruled, not hidden: listed as not recommended, with the reason.
        assert "family_therapy" not in v.recs
        assert "safeguarding comes first" in v.not_recommended["family_therapy"]["text"]
        assert "SAFEGUARD-SOCIAL-WORKER" in v.explained_by("collaborative_care")

    def test_safeguarding_not_recorded(self, ruleset: ir.RuleSet) -> None:
        v = decide(ruleset, age=15, family={"involved": True})
        assert "SAFEGUARD-NOT-RECORDED" in v.alerts
        assert "SAFEGUARD-PROCEDURES" not in v.alerts
        # Not recorded is neither a concern nor "no concern": it is asked about before family are told.
        assert "ALWAYS-INFORMATION-FOR-FAMILY-WITH-AGREEMENT" not in v.fired
        assert "ALWAYS-INFORMATION-FOR-FAMILY-SAFEGUARDING-NOT-RECORDED" in v.fired

    def test_family_therapy_is_not_recommended_under_a_safeguarding_concern(
        self, ruleset: ir.RuleSet
    ) -> None:
        """Review finding M2: with a safeguarding concern family therapy is not recommended, whatever
        recommended it (here an adult whose self-harm communicates distress, family involved, conflict),
        and the reason says safeguarding comes first."""
        v = decide(
            ruleset,
            age=30,
            reasons=["communication"],
            family={"involved": True, "conflict": True, "safeguarding_concern": True},
        )
        assert "family_therapy" not in v.recs
        assert v.not_recommended["family_therapy"]["rule"] == "SAFEGUARD-FAMILY-THERAPY"
        assert "safeguarding" in v.not_recommended["family_therapy"]["text"].lower()
        v = decide(ruleset, age=13, family={"involved": True, "safeguarding_concern": True})
        assert "family_therapy" not in v.recs
        assert v.not_recommended["family_therapy"]["rule"] == "SAFEGUARD-FAMILY-THERAPY"

    def test_no_family_involving_prompt_or_caution_under_a_safeguarding_concern(
        self, ruleset: ir.RuleSet
    ) -> None:
        """Review finding C2: DBT-A's family skills training and the under-25 antidepressant warning do
        not tell the clinician to involve family when a safeguarding concern is recorded; each has a
        safeguarding-aware alternative instead."""
        v = decide(
            ruleset,
            age=15,
            reasons=["emotional_regulation"],
            pattern="frequent",
            conditions=["depression"],
            family={"involved": True, "conflict": True, "safeguarding_concern": True},
        )
        assert _family_involving_texts(v.d) == []
        assert "family_or_carers" not in v.roles("dbt")
        assert "safeguarding" in " ".join(v.prompts("dbt", "safeguarding_lead")).lower()
        assert "family" not in v.caution_text("ssri", "AGE-U25-ANTIDEPRESSANT-WARNING")
        assert "safeguarding_lead" in v.roles("ssri")
        assert any("source of harm" in p for p in v.prompts("relapse_prevention", "therapist"))

    def test_family_prompts_when_safeguarding_is_recorded_as_no_concern(self, ruleset: ir.RuleSet) -> None:
        v = decide(
            ruleset,
            age=15,
            reasons=["emotional_regulation"],
            pattern="frequent",
            conditions=["depression"],
            family={"involved": True, "safeguarding_concern": False},
        )
        assert any("DBT-A" in p for p in v.prompts("dbt", "family_or_carers"))
        assert any("what to watch for" in p for p in v.prompts("ssri", "family_or_carers"))
        assert "MED-SUPPORT-SYSTEM" in v.fired
        assert "ALWAYS-INFORMATION-FOR-FAMILY-WITH-AGREEMENT" in v.fired
        assert "COLLAB-RELAPSE-SUPPORT-NETWORK" in v.fired

    def test_safeguarding_not_recorded_is_not_treated_as_no_concern(self, ruleset: ir.RuleSet) -> None:
        """Minor finding: a family prompt needs safeguarding recorded as no concern; when it is not
        recorded the prompts ask about safety at home first instead."""
        v = decide(
            ruleset,
            age=15,
            reasons=["emotional_regulation"],
            pattern="frequent",
            conditions=["depression"],
            family={"involved": True},
        )
        for rule in (
            "ALWAYS-INFORMATION-FOR-FAMILY-WITH-AGREEMENT",
            "MED-SUPPORT-SYSTEM",
            "COLLAB-RELAPSE-SUPPORT-NETWORK",
            "AGE-U18-DBT-A-FAMILY",
            "AGE-U25-ANTIDEPRESSANT-FAMILY",
        ):
            assert rule not in v.fired, rule
        for prompt in v.prompts("safety_plan", "family_or_carers") + v.prompts("dbt", "family_or_carers"):
            assert "safety at home" in prompt
        assert "SAFEGUARD-NOT-RECORDED" in v.alerts
        assert v.cautions("family_therapy")["SAFEGUARD-NOT-RECORDED"] == "warning"


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


class TestNoRiskScore:
    def test_every_decision_says_no_risk_score_is_computed(self, ruleset: ir.RuleSet) -> None:
        for age in (9, 16, 45):
            v = decide(ruleset, age=age)
            assert "No risk score" in v.alerts[NO_RISK_RULE]["text"]

    def test_no_risk_wording_in_any_rule_text_outside_the_alert(self, ruleset: ir.RuleSet) -> None:
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
    """Valid assessments over the default vocabulary, with features recorded or not."""
    a: dict[str, Any] = {"age": draw(st.integers(min_value=0, max_value=120))}
    optional = {
        "reasons": st.lists(
            st.sampled_from(REASONS),
            unique=True,
        ),
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
    """The safety layer's invariants (issue 3, item 7) hold for any valid assessment."""
    ruleset = _ruleset()
    d = ruleset.evaluate(assessment).to_dict()
    v = View(d)
    conditions = set(assessment.get("conditions", []))
    age = assessment["age"]

    # Safety plan, aftercare, relapse prevention (and collaborative care) always present.
    assert set(ALWAYS) <= set(v.recs)

    # Ranks 1..n without gaps; strength never increases down the list.
    assert [r["rank"] for r in d["recommendations"]] == list(range(1, len(d["recommendations"]) + 1))
    strengths = [r["strength"] for r in d["recommendations"]]
    assert strengths == sorted(strengths, reverse=True)

    # Not-recommended never recommended.
    assert not set(v.not_recommended) & set(v.recs)

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
        assert "MEDS-OVERDOSE-SUPPLY-REVIEW" in cautions
        assert "NEVER-MEDICINE-FOR-SELF-HARM" in cautions
        assert "MED-NEVER-ALONE" in cautions
        assert {"MEDS-INTERACTIONS-CURRENT", "MEDS-CURRENT-NOT-RECORDED"} & set(cautions)
        # Ranks below the best psychological intervention.
        assert v.rank(medicine) > best_psychological
        if age < 18:
            assert "child_and_adolescent_psychiatrist" in v.roles(medicine)
        if medicine in ("ssri", "snri") and age < 25:
            assert "AGE-U25-ANTIDEPRESSANT-WARNING" in cautions
    if "snri" in v.recs:
        assert age >= 18
    if age < 18 and conditions & {"depression", "anxiety"}:
        assert v.not_recommended["snri"]["rule"] == "AGE-U18-SNRI-NOT"

    # Every recommendation explained by at least one recommending rule, with its evidence.
    rule_ids = {r.id for r in ruleset.rules}
    for rec in d["recommendations"]:
        assert rec["explanations"]
        assert any(e.get("kind") == "recommend" for e in rec["explanations"])
        for e in rec["explanations"]:
            if e["rule"] in rule_ids:
                assert e["text"]
                assert e["evidence"]
                # It names the input values (or their absence) that made the rule fire.
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
    every other psychological or supportive therapy, however the article's links add up."""
    v = View(_ruleset().evaluate(assessment).to_dict())
    for other in PSYCHOLOGICAL:
        if other != "cbt" and other in v.recs:
            assert v.strength("cbt") > v.strength(other), (other, assessment)
            assert v.above("cbt", other)


@settings(max_examples=50, deadline=None)
@given(assessments())
def test_decision_is_deterministic(assessment: dict[str, Any]) -> None:
    ruleset = _ruleset()
    first = ruleset.evaluate(assessment).to_dict()
    reordered = dict(reversed(list(assessment.items())))
    assert ruleset.evaluate(reordered).to_dict() == first


# --------------------------------------------------------------------------------------------
# Governance and traceability
# --------------------------------------------------------------------------------------------


def test_every_rule_carries_its_governance_metadata(ruleset: ir.RuleSet) -> None:
    """A reviewer reading rules/ can tell source, grade, confidence, reviewer and review date."""
    for rule in ruleset.rules:
        assert rule.evidence, rule.id
        assert rule.author.startswith("intervention-rules clinical content team")
        last = dt.date.fromisoformat(str(rule.last_reviewed))
        due = dt.date.fromisoformat(str(rule.review_due))
        assert last <= due <= last + dt.timedelta(days=366), rule.id
        if rule.status == "active":
            assert rule.reviewer, rule.id
            assert all(e.confidence == "high" for e in rule.evidence), rule.id
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
