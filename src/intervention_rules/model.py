"""The validated rule set as data: features, facts, roles, interventions, rules and conditions.

Everything here is frozen; a loaded rule set never changes. Condition and action classes keep the
document path and source location they came from, so explanations and errors can point at them.
"""

from __future__ import annotations

import datetime
from typing import ClassVar, Literal

import attrs

__all__ = [
    "Action",
    "ActionKind",
    "Adjust",
    "Alert",
    "AllOf",
    "AnyOf",
    "Caution",
    "Collaborate",
    "CollaborationPrompt",
    "Conclude",
    "Condition",
    "Constraint",
    "Evidence",
    "FactTest",
    "Feature",
    "Intervention",
    "Location",
    "Not",
    "NotRecommend",
    "Operand",
    "OperatorName",
    "Recommend",
    "Role",
    "Rule",
    "Selector",
    "Test",
]

FeatureType = Literal["integer", "number", "boolean", "string", "list"]
Category = Literal["therapeutic", "supportive", "pharmacological", "care_coordination"]
Severity = Literal["info", "warning", "critical"]
Status = Literal["draft", "active", "retired"]
#: An action's key in a rule file (``then: [{recommend: ...}]``).
ActionKind = Literal["recommend", "adjust", "not_recommend", "caution", "collaborate", "alert", "conclude"]
Scalar = str | int | float | bool
#: The operators of the rule language (``{age: {gte: 18}}``); :data:`conditions.OPERATORS` has
#: one entry for each, and the rule-file schema one property for each.
OperatorName = Literal[
    "eq",
    "ne",
    "lt",
    "lte",
    "gt",
    "gte",
    "between",
    "in",
    "not_in",
    "contains_any",
    "contains_all",
    "contains_none",
    "contains_other_than",
    "recorded",
]
#: A test's operand once loaded: one value (``eq``, ``ne``, the thresholds), true or false
#: (``recorded``), or a tuple of values (``in``, ``not_in``, the ``contains_*``; ``between``'s
#: low and high ends). A list in the rule file becomes a tuple; a whole number tested against a
#: ``number`` feature becomes a float.
Operand = Scalar | tuple[Scalar, ...]

CATEGORIES: tuple[Category, ...] = ("therapeutic", "supportive", "pharmacological", "care_coordination")
SEVERITIES: tuple[Severity, ...] = ("critical", "warning", "info")


@attrs.frozen
class Location:
    """Where a piece of the rule set was written."""

    file: str
    line: int
    column: int
    path: str
    parts: tuple[str | int, ...] = ()  # ``path`` as a tuple: ("rules", 3, "when")

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    def to_dict(self) -> dict[str, object]:
        return {"file": self.file, "line": self.line, "column": self.column, "path": self.path}


@attrs.frozen
class Feature:
    """One assessment feature that rules can test. Object fields are features named ``a.b``."""

    name: str
    type: FeatureType
    description: str
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None
    values: tuple[str, ...] | None = None
    pattern: str | None = None

    @property
    def numeric(self) -> bool:
        return self.type in ("integer", "number")


@attrs.frozen
class Evidence:
    source: str
    grade: str
    confidence: str
    note: str | None = None

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "source": self.source,
            "grade": self.grade,
            "confidence": self.confidence,
        }
        if self.note is not None:
            out["note"] = self.note
        return out


@attrs.frozen
class Role:
    id: str
    title: str
    description: str | None = None


@attrs.frozen
class CollaborationPrompt:
    role: str
    prompt: str


@attrs.frozen
class Intervention:
    id: str
    title: str
    category: Category
    description: str
    collaboration: tuple[CollaborationPrompt, ...]
    evidence: tuple[Evidence, ...]
    order: int
    location: Location


# --- conditions ---------------------------------------------------------------------------


@attrs.frozen
class Test:
    """``feature: {op: operand}``."""

    feature: str
    op: OperatorName
    operand: Operand  # checked against the operator and the feature when loaded
    location: Location


@attrs.frozen
class FactTest:
    """``fact: name``: a derived fact was concluded."""

    fact: str
    location: Location


@attrs.frozen
class AllOf:
    items: tuple[Condition, ...]
    location: Location


@attrs.frozen
class AnyOf:
    items: tuple[Condition, ...]
    location: Location


@attrs.frozen
class Not:
    item: Condition
    location: Location


Condition = Test | FactTest | AllOf | AnyOf | Not


# --- actions ------------------------------------------------------------------------------


@attrs.frozen
class Recommend:
    kind: ClassVar[ActionKind] = "recommend"
    intervention: str
    strength: float
    text: str
    location: Location


@attrs.frozen
class Adjust:
    kind: ClassVar[ActionKind] = "adjust"
    intervention: str
    by: float
    text: str
    location: Location


@attrs.frozen
class NotRecommend:
    kind: ClassVar[ActionKind] = "not_recommend"
    intervention: str
    text: str
    location: Location


@attrs.frozen
class Caution:
    kind: ClassVar[ActionKind] = "caution"
    intervention: str
    severity: Severity
    text: str
    location: Location


@attrs.frozen
class Collaborate:
    kind: ClassVar[ActionKind] = "collaborate"
    intervention: str
    role: str
    prompt: str
    location: Location


@attrs.frozen
class Alert:
    kind: ClassVar[ActionKind] = "alert"
    severity: Severity
    text: str
    location: Location


@attrs.frozen
class Conclude:
    kind: ClassVar[ActionKind] = "conclude"
    fact: str
    location: Location


Action = Recommend | Adjust | NotRecommend | Caution | Collaborate | Alert | Conclude


def action_intervention(action: Action) -> str | None:
    """The intervention an action concerns, if any."""
    if isinstance(action, Alert | Conclude):
        return None
    return action.intervention


@attrs.frozen
class Rule:
    id: str
    title: str
    version: int
    status: Status
    author: str
    reviewer: str | None
    last_reviewed: datetime.date
    review_due: datetime.date
    evidence: tuple[Evidence, ...]
    when: Condition
    then: tuple[Action, ...]
    order: int
    location: Location


@attrs.frozen
class Selector:
    categories: tuple[str, ...] = ()
    interventions: tuple[str, ...] = ()

    def selects(self, intervention: Intervention) -> bool:
        return intervention.category in self.categories or intervention.id in self.interventions


@attrs.frozen
class Constraint:
    id: str
    lower: Selector
    upper: Selector
    text: str
    location: Location
