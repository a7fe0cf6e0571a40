"""The FHIR R4 Questionnaire generated from a rule set's vocabulary.

Each top-level feature is one item whose ``linkId`` is the feature's name; an object feature
(``family``) is a ``group`` item whose children carry the dotted names (``family.involved``).
Closed values are ``answerOption`` codings in a code system named after the rule set and the
feature; a list feature may also be answered with SNOMED CT "None" (asked, and none apply), which
is how an empty list travels. A feature the CDS Hooks context fills (``order``, the medicine being
ordered, from the order-select and order-sign draft orders) is not a question and has no item.
The canonical ``url`` names the rule set; the ``version`` is a digest of the generated items, so
it changes exactly when the questions or their answers change.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..model import Feature
    from ..ruleset import RuleSet

__all__ = [
    "CONTEXT_FEATURES",
    "NONE_CODING",
    "ORDER_FEATURE",
    "answer_system",
    "canonical",
    "item_type",
    "questionnaire",
    "questionnaire_url",
]

URL_PREFIX = "urn:intervention-rules:questionnaire:"
SYSTEM_PREFIX = "urn:intervention-rules:vocabulary:"
SNOMED = "http://snomed.info/sct"
NONE_CODING = {"system": SNOMED, "code": "260413007", "display": "None"}
"""SNOMED CT 260413007 |None (qualifier value)|: the answer that records an empty list."""

ORDER_FEATURE = "order"
"""The feature for the medicine being ordered, which the order-select and order-sign services fill
from ``context.draftOrders`` (one draft order at a time)."""

CONTEXT_FEATURES = frozenset({ORDER_FEATURE})
"""Features the CDS Hooks context fills, never a clinician (``ORDER_FEATURE``). The Questionnaire
has no item for them, and a QuestionnaireResponse may not answer them."""

_EXCLUSIVE = "http://hl7.org/fhir/StructureDefinition/questionnaire-optionExclusive"
_MIN = "http://hl7.org/fhir/StructureDefinition/minValue"
_MAX = "http://hl7.org/fhir/StructureDefinition/maxValue"
_REGEX = "http://hl7.org/fhir/StructureDefinition/regex"


def questionnaire_url(ruleset: RuleSet) -> str:
    """The canonical URL of a rule set's questionnaire (without its version)."""
    return URL_PREFIX + ruleset.name


def answer_system(ruleset: RuleSet, feature: str) -> str:
    """The code system of a feature's closed values."""
    return f"{SYSTEM_PREFIX}{ruleset.name}:{feature}"


def item_type(feature: Feature) -> str:
    """The Questionnaire item type that carries a feature's values."""
    if feature.type == "integer":
        return "integer"
    if feature.type == "number":
        return "decimal"
    if feature.type == "boolean":
        return "boolean"
    if feature.values is not None:
        return "choice"
    return "open-choice" if feature.type == "list" else "string"


def _display(value: str) -> str:
    return value.replace("_", " ").capitalize()


def _number(value: float, kind: str) -> dict[str, Any]:
    return {"valueInteger": int(value)} if kind == "integer" else {"valueDecimal": float(value)}


def _item(ruleset: RuleSet, feature: Feature) -> dict[str, Any]:
    kind = item_type(feature)
    item: dict[str, Any] = {
        "linkId": feature.name,
        "text": " ".join(feature.description.split()),
        "type": kind,
        "required": feature.required,
    }
    if feature.type == "list":
        item["repeats"] = True
    extensions = []
    if feature.minimum is not None:
        extensions.append({"url": _MIN, **_number(feature.minimum, kind)})
    if feature.maximum is not None:
        extensions.append({"url": _MAX, **_number(feature.maximum, kind)})
    if feature.pattern is not None:
        extensions.append({"url": _REGEX, "valueString": feature.pattern})
    if extensions:
        item = {"extension": extensions, **item}
    options: list[dict[str, Any]] = []
    if feature.values is not None:
        system = answer_system(ruleset, feature.name)
        options = [
            {"valueCoding": {"system": system, "code": v, "display": _display(v)}} for v in feature.values
        ]
    if feature.type == "list":
        options.append(
            {"extension": [{"url": _EXCLUSIVE, "valueBoolean": True}], "valueCoding": dict(NONE_CODING)}
        )
    if options:
        item["answerOption"] = options
    return item


def _items(ruleset: RuleSet) -> list[dict[str, Any]]:
    features = ruleset.features
    objects = ruleset.objects
    items: list[dict[str, Any]] = []
    done: set[str] = set()
    for name, feature in features.items():
        top = name.split(".", 1)[0]
        if top in done or top in CONTEXT_FEATURES:
            continue
        done.add(top)
        if top in objects:
            children = [_item(ruleset, features[f"{top}.{field}"]) for field in objects[top]]
            items.append(
                {
                    "linkId": top,
                    "text": _display(top),
                    "type": "group",
                    "required": any(child["required"] for child in children),
                    "item": children,
                }
            )
        else:
            items.append(_item(ruleset, feature))
    return items


def _name(ruleset: RuleSet) -> str:
    words = re.findall(r"[A-Za-z0-9]+", ruleset.name)
    name = "".join(w[:1].upper() + w[1:] for w in words) or "RuleSet"
    if not name[0].isalpha():
        name = "R" + name
    return name[:200] + "Assessment"


@functools.lru_cache(maxsize=32)
def canonical(ruleset: RuleSet) -> str:
    """``url|version`` of the rule set's questionnaire, as a QuestionnaireResponse names it."""
    items = _items(ruleset)
    return f"{questionnaire_url(ruleset)}|{_version(ruleset, items)}"


def _version(ruleset: RuleSet, items: list[dict[str, Any]]) -> str:
    text = json.dumps([ruleset.name, items], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "vocabulary-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def questionnaire(ruleset: RuleSet) -> dict[str, Any]:
    """The FHIR R4 Questionnaire for a rule set's assessment, generated from its features.

    Raises ``ImportError`` naming ``pip install 'intervention-rules[fhir]'`` when fhir.resources
    is missing (the result is checked against the FHIR models before it is returned).
    """
    from ._models import validate

    items = _items(ruleset)
    resource: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": re.sub(r"[^A-Za-z0-9.-]", "-", ruleset.name)[:64],
        "url": questionnaire_url(ruleset),
        "version": _version(ruleset, items),
        "name": _name(ruleset),
        "title": f"Assessment for the rule set {ruleset.name}",
        "status": "active",
        "subjectType": ["Patient"],
        "description": (
            "The assessment the rule set evaluates, generated from its vocabulary: one item per "
            "feature the clinician answers (the medicine being ordered comes from the order hooks' "
            "context, not from this form). Absent answers mean 'not recorded'; for a list, the answer "
            "None means 'asked, and none apply'. Decision support for qualified professionals; it "
            "computes no risk score."
        ),
        "item": items,
    }
    validate(resource, "Questionnaire")
    return resource
