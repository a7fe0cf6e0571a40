"""A decision as a FHIR R4 RequestGroup of proposed actions.

``intent`` is ``proposal`` and ``status`` ``draft``: nothing is ordered, every action is a
suggestion for a clinician. One action per recommendation, in rank order (``prefix`` is the
rank), coded with the intervention id; its ``description`` is the explanation, its
``documentation`` the evidence cited. Alerts, what is not recommended and what was considered
but not suggested are ``note``s. The
rule set (name, version) and its digest are the ``identifier``s, so the proposal can be traced
to the exact rules that made it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._models import validate

if TYPE_CHECKING:
    from ..decision import Decision, Recommendation

__all__ = ["DIGEST_SYSTEM", "INTERVENTION_SYSTEM", "RULESET_SYSTEM", "request_group"]

DIGEST_SYSTEM = "urn:intervention-rules:ruleset-digest"
RULESET_SYSTEM = "urn:intervention-rules:ruleset"
INTERVENTION_SYSTEM = "urn:intervention-rules:intervention"


def _draft(status: str | None) -> str:
    return ", draft rule" if status == "draft" else ""


def _action(rec: Recommendation) -> dict[str, Any]:
    reasons = [f"{e.text} ({e.rule}{_draft(e.status)})" for e in rec.explanations]
    cautions = [f"Caution ({c.severity}): {c.text} ({c.rule}{_draft(c.status)})" for c in rec.cautions]
    prompts = [
        f"Involve {p.role.replace('_', ' ')}: {p.prompt}"
        + (f" ({p.rule}{_draft(p.status)})" if p.rule else "")
        for p in rec.collaboration
    ]
    action: dict[str, Any] = {
        "id": rec.intervention,
        "prefix": str(rec.rank),
        "title": rec.title,
        "description": " ".join(reasons),
        "code": [
            {
                "coding": [{"system": INTERVENTION_SYSTEM, "code": rec.intervention, "display": rec.title}],
                "text": rec.category.replace("_", " "),
            }
        ],
    }
    if cautions or prompts:
        action["textEquivalent"] = " ".join([*cautions, *prompts])
    citations = {
        f"{ev.source} (grade {ev.grade.replace('_', ' ')}, confidence {ev.confidence})": None
        for e in rec.explanations
        for ev in e.evidence
    }
    if citations:
        action["documentation"] = [{"type": "citation", "citation": c} for c in citations]
    return action


def request_group(
    decision: Decision, *, subject: str | None = None, authored_on: str | None = None
) -> dict[str, Any]:
    """The decision as a FHIR R4 RequestGroup (``intent: proposal``), actions in rank order.

    ``subject`` is a reference such as ``Patient/123``; ``authored_on`` a FHIR dateTime.
    """
    info = decision.ruleset
    notes = [f"Alert ({a.severity}): {a.text} ({a.rule}{_draft(a.status)})" for a in decision.alerts]
    notes += [
        f"Not recommended: {n.title}: {n.text} ({n.rule}{_draft(n.status)})" for n in decision.not_recommended
    ]
    notes += [
        f"Considered, not suggested: {c.title}: "
        + " ".join(f"{e.text} ({e.rule}{_draft(e.status)})" for e in c.explanations)
        for c in decision.considered
    ]
    notes.append(
        "Decision support for a qualified professional; it does not replace clinical judgement "
        "and computes no risk score."
    )
    resource: dict[str, Any] = {
        "resourceType": "RequestGroup",
        "identifier": [
            {"system": RULESET_SYSTEM, "value": f"{info.name}|{info.version}"},
            {"system": DIGEST_SYSTEM, "value": info.digest},
        ],
        "status": "draft",
        "intent": "proposal",
    }
    if subject is not None:
        resource["subject"] = {"reference": subject}
    if authored_on is not None:
        resource["authoredOn"] = authored_on
    resource["note"] = [{"text": n} for n in notes]
    if decision.recommendations:
        resource["action"] = [_action(r) for r in decision.recommendations]
    validate(resource, "RequestGroup")
    return resource
