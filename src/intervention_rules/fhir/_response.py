"""QuestionnaireResponse to assessment, and back.

The response must answer this rule set's questionnaire (``questionnaire`` is its ``url|version``)
and be ``completed`` or ``amended``. Every problem names the ``linkId`` (or the FHIR element) it
concerns and never the answer given. Age may come from its item, or from ``Patient.birthDate``
and the date the response was ``authored``; when both are given they must agree. A Patient without a
full birth date (FHIR allows none, or only a year) leaves an answered age item as it is.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .._assessment import is_name
from ..errors import AssessmentError, AssessmentProblem
from ._models import problems_of
from ._questionnaire import CONTEXT_FEATURES, NONE_CODING, answer_system, canonical, item_type

if TYPE_CHECKING:
    from ..model import Feature
    from ..ruleset import RuleSet

__all__ = ["assessment_from_questionnaire_response", "questionnaire_response_from_assessment"]

_STATUSES = ("completed", "amended")
_VALUE_KEY = {
    "integer": "valueInteger",
    "decimal": "valueDecimal",
    "boolean": "valueBoolean",
    "choice": "valueCoding",
    "string": "valueString",
}
_FULL_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
AGE = "age"
_NONE = object()  # the answer "None": a list asked about, with nothing in it
_MISSING = object()

# Problem codes (docs/errors.md, IR6xx)
OTHER_QUESTIONNAIRE = "IR602"
NOT_COMPLETED = "IR603"
UNKNOWN_LINK_ID = "IR604"
ANSWERED_TWICE = "IR605"
WRONG_ANSWER_TYPE = "IR606"
NOT_AN_OPTION = "IR607"
TOO_MANY_ANSWERS = "IR608"
AGE_NOT_COMPUTABLE = "IR609"
AGE_DISAGREES = "IR610"
OTHER_PATIENT = "IR611"
CONTEXT_FEATURE = "IR612"
_FROM_CONTEXT = "filled from the order hooks' context (draftOrders), not asked in the questionnaire"


def _is_none(coding: Any) -> bool:
    return (
        isinstance(coding, Mapping)
        and coding.get("system") == NONE_CODING["system"]
        and coding.get("code") == NONE_CODING["code"]
    )


def _answer_value(ruleset: RuleSet, feature: Feature, answer: Mapping[str, Any]) -> Any:
    """The assessment value of one answer, or the AssessmentProblem that says what is wrong."""
    link = feature.name
    kind = item_type(feature)
    keys = [k for k in answer if k.startswith("value")]
    if len(keys) != 1 or answer.get("item"):
        return AssessmentProblem(
            link, "expected one value per answer and no nested items", code=WRONG_ANSWER_TYPE
        )
    key = keys[0]
    value = answer[key]
    if kind == "choice" or (kind == "open-choice" and key == "valueCoding"):
        if key != "valueCoding" or not isinstance(value, Mapping):
            return AssessmentProblem(link, f"expected valueCoding, got {key}", code=WRONG_ANSWER_TYPE)
        if feature.type == "list" and _is_none(value):
            return _NONE
        if feature.values is None:
            return AssessmentProblem(
                link, "a coded answer here can only be SNOMED CT 260413007 (None)", code=NOT_AN_OPTION
            )
        if value.get("system") != answer_system(ruleset, link) or value.get("code") not in feature.values:
            return AssessmentProblem(
                link, "the coding is not one of the item's answer options", code=NOT_AN_OPTION
            )
        return value["code"]
    expected = "valueString" if kind == "open-choice" else _VALUE_KEY[kind]
    if kind == "decimal" and key == "valueInteger":
        expected = key
    if key != expected:
        return AssessmentProblem(link, f"expected {expected}, got {key}", code=WRONG_ANSWER_TYPE)
    return value


def _read_item(
    ruleset: RuleSet, item: Mapping[str, Any], link: str, problems: list[AssessmentProblem]
) -> tuple[bool, Any]:
    feature = ruleset.features[link]
    answers = item.get("answer") or []
    if item.get("item"):
        problems.append(
            AssessmentProblem(link, "a question item holds no nested items", code=WRONG_ANSWER_TYPE)
        )
        return False, None
    values = []
    for answer in answers:
        value = _answer_value(ruleset, feature, answer)
        if isinstance(value, AssessmentProblem):
            problems.append(value)
            return False, None
        values.append(value)
    if feature.type == "list":
        if any(v is _NONE for v in values):
            if len(values) > 1:
                problems.append(
                    AssessmentProblem(
                        link, "None cannot be combined with other answers", code=TOO_MANY_ANSWERS
                    )
                )
                return False, None
            return True, []
        return bool(values), values
    if len(values) > 1:
        problems.append(AssessmentProblem(link, "expected at most one answer", code=TOO_MANY_ANSWERS))
        return False, None
    return bool(values), values[0] if values else None


def _shown(link: str) -> str:
    """How a linkId is named in a problem: itself when each dotted part looks like a field name;
    otherwise it may be text a person wrote, shown as ``<linkId>`` (after a group's name)."""
    parts = link.split(".")
    if all(is_name(part) for part in parts):
        return link
    return f"{parts[0]}.<linkId>" if len(parts) > 1 and is_name(parts[0]) else "<linkId>"


def _age(
    patient: Mapping[str, Any], authored: Any, problems: list[AssessmentProblem], *, needed: bool
) -> int | None:
    """The patient's age in whole years on the ``authored`` date. Without a full birth date and an
    authored date there is none: a problem when ``needed`` (no age item was answered), else None."""
    birth = patient.get("birthDate")
    full_birth = isinstance(birth, str) and _FULL_DATE.match(birth)
    if not needed and not (full_birth and isinstance(authored, str) and _FULL_DATE.match(authored)):
        return None
    if not isinstance(birth, str) or not full_birth:
        problems.append(
            AssessmentProblem(
                AGE,
                "not answered, and Patient.birthDate is missing or not a full date, so age is unknown",
                code=AGE_NOT_COMPUTABLE,
            )
        )
        return None
    if not isinstance(authored, str) or not _FULL_DATE.match(authored):
        problems.append(
            AssessmentProblem(
                AGE,
                "not answered, and the response's authored date is needed to compute it from birthDate",
                code=AGE_NOT_COMPUTABLE,
            )
        )
        return None
    try:
        born = datetime.date.fromisoformat(birth[:10])
        on = datetime.date.fromisoformat(authored[:10])
    except ValueError:
        problems.append(
            AssessmentProblem(
                AGE, "Patient.birthDate or authored is not a valid date", code=AGE_NOT_COMPUTABLE
            )
        )
        return None
    years = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    if years < 0:
        problems.append(
            AssessmentProblem(
                AGE, "Patient.birthDate is after the response was authored", code=AGE_NOT_COMPUTABLE
            )
        )
        return None
    return years


def _check_envelope(
    qr: Any, ruleset: RuleSet, patient: Mapping[str, Any] | None, problems: list[AssessmentProblem]
) -> None:
    problems.extend(problems_of(qr, "QuestionnaireResponse"))
    if problems:
        raise AssessmentError(problems)
    expected = canonical(ruleset)
    if qr.get("questionnaire") != expected:
        problems.append(
            AssessmentProblem(
                "QuestionnaireResponse.questionnaire",
                f"the response answers another questionnaire; expected {expected}",
                code=OTHER_QUESTIONNAIRE,
            )
        )
    if qr.get("status") not in _STATUSES:
        problems.append(
            AssessmentProblem(
                "QuestionnaireResponse.status", "expected 'completed' or 'amended'", code=NOT_COMPLETED
            )
        )
    if patient is not None:
        problems.extend(problems_of(patient, "Patient"))
        subject = (qr.get("subject") or {}).get("reference")
        if subject is not None and patient.get("id") is not None and subject != f"Patient/{patient['id']}":
            problems.append(
                AssessmentProblem(
                    "QuestionnaireResponse.subject",
                    "the response is about another patient",
                    code=OTHER_PATIENT,
                )
            )
    if problems:
        raise AssessmentError(problems)


def assessment_from_questionnaire_response(
    qr: Mapping[str, Any], ruleset: RuleSet, *, patient: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The assessment a QuestionnaireResponse records, checked against the rule set.

    Raises AssessmentError (every problem, each naming its linkId or FHIR element) for a response
    that is not valid FHIR, answers another questionnaire, is not completed, has unknown linkIds,
    answers of the wrong type or values the rule set refuses. ``patient`` (a FHIR Patient) gives
    the age from its ``birthDate`` and the response's ``authored`` date when the age item is absent.
    """
    problems: list[AssessmentProblem] = []
    _check_envelope(qr, ruleset, patient, problems)
    features = ruleset.features
    objects = ruleset.objects
    out: dict[str, Any] = {}
    seen: set[str] = set()

    def read(item: Mapping[str, Any], parent: str | None) -> None:
        link = item.get("linkId")
        if not isinstance(link, str):
            problems.append(
                AssessmentProblem("QuestionnaireResponse.item", "an item has no linkId", code=UNKNOWN_LINK_ID)
            )
            return
        if link in seen:
            problems.append(AssessmentProblem(_shown(link), "answered more than once", code=ANSWERED_TWICE))
            return
        seen.add(link)
        if parent is None and link.split(".", 1)[0] in CONTEXT_FEATURES:
            problems.append(AssessmentProblem(_shown(link), _FROM_CONTEXT, code=CONTEXT_FEATURE))
            return
        if parent is None and link in objects:
            if item.get("answer"):
                problems.append(
                    AssessmentProblem(link, "a group item holds items, not answers", code=WRONG_ANSWER_TYPE)
                )
                return
            out[link] = {}
            for child in item.get("item") or []:
                read(child, link)
            return
        known = link in features and (
            (parent is None and "." not in link) or (parent is not None and link.startswith(parent + "."))
        )
        if not known:
            where = f"group '{parent}'" if parent else "the questionnaire"
            problems.append(
                AssessmentProblem(_shown(link), f"unknown linkId in {where}", code=UNKNOWN_LINK_ID)
            )
            return
        recorded, value = _read_item(ruleset, item, link, problems)
        if not recorded:
            return
        if parent is None:
            out[link] = value
        else:
            out[parent][link.split(".", 1)[1]] = value

    for item in qr.get("item") or []:
        read(item, None)
    if patient is not None and AGE in features:
        age = _age(patient, qr.get("authored"), problems, needed=AGE not in out)
        if age is not None:
            if AGE in out and out[AGE] != age:
                problems.append(
                    AssessmentProblem(
                        AGE,
                        "the answer and Patient.birthDate (at the authored date) disagree",
                        code=AGE_DISAGREES,
                    )
                )
            out[AGE] = age
    if problems:
        raise AssessmentError(problems)
    ruleset.normalise(out)  # the rule set's own checks: ranges, patterns, required features
    return out


def _answers(ruleset: RuleSet, feature: Feature, value: Any) -> list[dict[str, Any]]:
    kind = item_type(feature)
    values = list(value) if feature.type == "list" else [value]
    if feature.type == "list" and not values:
        return [{"valueCoding": dict(NONE_CODING)}]
    if feature.values is not None:
        system = answer_system(ruleset, feature.name)
        return [
            {"valueCoding": {"system": system, "code": v, "display": v.replace("_", " ").capitalize()}}
            for v in values
        ]
    key = "valueString" if kind == "open-choice" else _VALUE_KEY[kind]
    return [{key: v} for v in values]


def questionnaire_response_from_assessment(
    assessment: Mapping[str, Any],
    ruleset: RuleSet,
    *,
    subject: str | None = None,
    authored: str | None = None,
) -> dict[str, Any]:
    """A completed QuestionnaireResponse to the rule set's questionnaire recording an assessment.

    The assessment is checked first (AssessmentError). ``subject`` is a reference such as
    ``Patient/123``; ``authored`` a FHIR dateTime. A feature the CDS Hooks context fills
    (``order``) has no item to record it: an assessment holding one is refused (IR612).
    """
    values = ruleset.normalise(assessment)
    context = [name for name in assessment if name in CONTEXT_FEATURES]
    if context:
        raise AssessmentError(
            [AssessmentProblem(name, _FROM_CONTEXT, code=CONTEXT_FEATURE) for name in context]
        )
    features = ruleset.features
    objects = ruleset.objects
    items: list[dict[str, Any]] = []
    done: set[str] = set()
    for name in features:
        top = name.split(".", 1)[0]
        if top in done:
            continue
        done.add(top)
        if top in objects:
            if top not in assessment:
                continue
            children = [
                {"linkId": f"{top}.{field}", "answer": _answers(ruleset, features[f"{top}.{field}"], v)}
                for field in objects[top]
                if (v := values.get(f"{top}.{field}", _MISSING)) is not _MISSING
            ]
            group: dict[str, Any] = {"linkId": top}
            if children:
                group["item"] = children
            items.append(group)
        elif name in values:
            items.append({"linkId": name, "answer": _answers(ruleset, features[name], values[name])})
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": canonical(ruleset),
        "status": "completed",
    }
    if subject is not None:
        resource["subject"] = {"reference": subject}
    if authored is not None:
        resource["authored"] = authored
    resource["item"] = items
    return resource
