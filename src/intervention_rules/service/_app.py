"""The CDS Hooks 2.0 service: discovery, the patient-view, order-select and order-sign services,
feedback, a health endpoint and the clinician's try-out page, as one FastAPI application.

Every answer that shows cards is recorded in the audit trail before it is sent; when the record
cannot be written the request fails (503 with an OperationOutcome) and no card is shown.
"""

from __future__ import annotations

import json
import re
import secrets
import uuid
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any, Literal

import attrs

from ..errors import AssessmentError, MissingExtraError

try:
    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import HTMLResponse, JSONResponse
    from pydantic import BaseModel, ConfigDict, Field
    from starlette.exceptions import HTTPException
except ModuleNotFoundError as missing:  # the service extra is not installed: say which to install
    raise MissingExtraError("service", missing.name or "fastapi") from missing

from .._assessment import is_name
from ..decision import OVERRIDE_REASONS, AlertNote, Decision, Recommendation
from ..ruleset import RuleSet
from ._audit import AuditError, AuditSink, DecisionRecord, FeedbackRecord, input_hash, new_time
from ._cors import check_origin, with_cors
from ._limits import BodyLimit, outcome
from ._orders import OrderInputError, draft_medication_requests, order_feature

__all__ = ["DEFAULT_MAX_BODY", "ServiceConfig", "create_app"]

DEFAULT_MAX_BODY = 1024 * 1024  # bytes: a request body larger than this gets 413
HOOKS = ("patient-view", "order-select", "order-sign")
FHIR_JSON = "application/fhir+json"
UUID_PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
# A card as the audit trail keeps it: uuid, summary, indicator, interventions, rules, and on the
# order hooks' cards the order it concerns (see _name_the_order).
Shown = dict[str, Any]


def _origins(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        raise TypeError("cors_origins is a list of origins, not one string")
    return tuple(check_origin(origin) for origin in value)


@attrs.frozen
class ServiceConfig:
    """What the service needs besides its rule set.

    ``cors_origins``: the origins of the browser-based CDS clients allowed to call the service
    (``https://ehr.example.org``, exactly as a browser sends it); none, the default, sends no CORS
    header. ``*`` is refused (``ValueError``), like anything that is not an origin.
    """

    sink: AuditSink
    salt: bytes = attrs.field(factory=lambda: secrets.token_bytes(32))
    store_input: bool = False
    max_body: int = DEFAULT_MAX_BODY
    medication_codes: str | None = None  # a code map file; None: the bundled map
    cors_origins: tuple[str, ...] = attrs.field(default=(), converter=_origins)


class _Fail(Exception):
    def __init__(self, status: int, code: str, diagnostics: str, expression: list[str] | None = None) -> None:
        super().__init__(diagnostics)
        self.status, self.body = status, outcome(code, diagnostics, expression)


# ---------------------------------------------------------------------------------------------
# Request and response models (they make the OpenAPI description)
# ---------------------------------------------------------------------------------------------


class HookRequest(BaseModel):
    """A CDS Hooks 2.0 service request."""

    model_config = ConfigDict(extra="allow")
    hook: str = Field(min_length=1)
    hookInstance: str = Field(pattern=UUID_PATTERN)  # the CDS Hooks field name: a UUID
    fhirServer: str | None = None  # the CDS Hooks field name
    fhirAuthorization: dict[str, Any] | None = None  # the CDS Hooks field name
    context: dict[str, Any]
    prefetch: dict[str, Any] | None = None


class Coding(BaseModel):
    system: str | None = None
    code: str | None = None
    display: str | None = None


class OverrideReason(BaseModel):
    reason: Coding | None = None
    userComment: str | None = None  # the CDS Hooks field name


class FeedbackItem(BaseModel):
    model_config = ConfigDict(extra="allow")
    card: str = Field(min_length=1)
    outcome: Literal["accepted", "overridden"]
    outcomeTimestamp: str | None = None  # the CDS Hooks field name
    overrideReason: OverrideReason | None = None  # the CDS Hooks field name
    acceptedSuggestions: list[dict[str, Any]] | None = None  # the CDS Hooks field name


class FeedbackRequest(BaseModel):
    feedback: list[FeedbackItem] = Field(min_length=1)


class CardsResponse(BaseModel):
    cards: list[dict[str, Any]]


class OperationOutcome(BaseModel):
    model_config = ConfigDict(extra="allow")
    resourceType: Literal["OperationOutcome"]  # the FHIR field name
    issue: list[dict[str, Any]]


_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": OperationOutcome, "description": text}
    for status, text in (
        (400, "malformed input: the OperationOutcome names the field or linkId"),
        (404, "no such service"),
        (412, "required prefetch is missing; the service never fetches from a FHIR server"),
        (413, "the request body is over the size limit"),
        (503, "the audit record could not be written; no cards are returned"),
    )
}


# ---------------------------------------------------------------------------------------------
# The application
# ---------------------------------------------------------------------------------------------


def _as_dict(resource: Any) -> dict[str, Any]:
    if isinstance(resource, Mapping):
        return dict(resource)
    dumped = resource.model_dump_json(exclude_none=True)
    return dict(json.loads(dumped))


class _Service:
    def __init__(self, ruleset: RuleSet, config: ServiceConfig) -> None:
        from .. import fhir

        self.ruleset = ruleset
        self.config = config
        self.fhir = fhir
        self.questionnaire = _as_dict(fhir.questionnaire(ruleset))
        self.codes = fhir.load_medication_codes(config.medication_codes)
        url = self.questionnaire.get("url", "")
        self.prefetch = {
            "patient": "Patient/{{context.patientId}}",
            "assessment": (
                "QuestionnaireResponse?subject=Patient/{{context.patientId}}"
                f"&questionnaire={url}&status=completed&_sort=-authored&_count=1"
            ),
        }

    # -- discovery ------------------------------------------------------------------------------

    def discovery(self) -> dict[str, Any]:
        name = f"{self.ruleset.name} {self.ruleset.version}"
        texts = {
            "patient-view": (
                "Self-harm interventions",
                f"Ranked, explained intervention suggestions from the latest self-harm assessment ({name}).",
            ),
            "order-select": (
                "Self-harm safety check of a medicine order",
                f"Checks a medicine being ordered against the safety layer of {name}.",
            ),
            "order-sign": (
                "Self-harm safety check before signing",
                f"Checks the medicine orders about to be signed against the safety layer of {name}.",
            ),
        }
        return {
            "services": [
                {
                    "hook": hook,
                    "id": hook,
                    "title": texts[hook][0],
                    "description": texts[hook][1],
                    "prefetch": self.prefetch,
                    "usageRequirements": (
                        "Decision support for qualified professionals; not a substitute for clinical "
                        "judgement. The prefetch must hold the Patient and the latest completed "
                        "assessment (a QuestionnaireResponse to the service's Questionnaire)."
                    ),
                }
                for hook in HOOKS
            ]
        }

    # -- the hooks ------------------------------------------------------------------------------

    def _prefetched(self, request: HookRequest, key: str) -> dict[str, Any]:
        value = (request.prefetch or {}).get(key)
        if value is None:
            raise _Fail(
                412, "not-found", f"the prefetch '{key}' is required and was not sent", [f"prefetch.{key}"]
            )
        if not isinstance(value, Mapping):
            raise _Fail(400, "invalid", f"the prefetch '{key}' must be a FHIR resource", [f"prefetch.{key}"])
        if value.get("resourceType") == "Bundle":
            listed = value.get("entry") or []
            if not isinstance(listed, list):
                raise _Fail(400, "invalid", "a Bundle's entry must be a list", [f"prefetch.{key}.entry"])
            entries: list[Mapping[str, Any]] = [
                e["resource"]
                for e in listed
                if isinstance(e, Mapping) and isinstance(e.get("resource"), Mapping)
            ]
            if not entries:
                raise _Fail(412, "not-found", f"the prefetch '{key}' holds no resource", [f"prefetch.{key}"])
            value = entries[0]
        return dict(value)

    def assessment(self, request: HookRequest) -> dict[str, Any]:
        patient_id = request.context.get("patientId")
        if not isinstance(patient_id, str) or not patient_id:
            raise _Fail(400, "invalid", "context.patientId must be a non-empty string", ["context.patientId"])
        patient = self._prefetched(request, "patient")
        response = self._prefetched(request, "assessment")
        for key, kind in (("patient", "Patient"), ("assessment", "QuestionnaireResponse")):
            resource = patient if key == "patient" else response
            if resource.get("resourceType") != kind:
                raise _Fail(
                    400, "invalid", f"the prefetch '{key}' must be a {kind}", [f"prefetch.{key}.resourceType"]
                )
        _same_patient(patient_id, patient, response)
        try:
            assessment = self.fhir.assessment_from_questionnaire_response(
                response, self.ruleset, patient=patient
            )
        except AssessmentError as error:
            raise _problems(error, "prefetch.assessment") from error
        except ValueError as error:  # the resource does not validate as FHIR
            raise _Fail(
                400,
                "structure",
                "the prefetch 'assessment' is not a valid FHIR QuestionnaireResponse",
                ["prefetch.assessment"],
            ) from error
        return dict(assessment)

    def evaluate(self, assessment: Mapping[str, Any], where: str) -> Decision:
        try:
            return self.ruleset.evaluate(assessment)
        except AssessmentError as error:
            raise _problems(error, where) from error

    def hook(self, service: str, request: HookRequest) -> tuple[Decision, list[dict[str, Any]], list[Shown]]:
        """The decision to record, the cards to return, and what each card shows."""
        if service not in HOOKS:
            raise _Fail(404, "not-found", f"no CDS service '{service}'; see GET /cds-services")
        if request.hook != service:
            raise _Fail(
                400, "invalid", f"the service '{service}' answers the hook '{service}' only", ["hook"]
            )
        assessment = self.assessment(request)
        decision = self.evaluate(assessment, "prefetch.assessment")
        if service == "patient-view":
            return (decision, *_cards(decision, self.ruleset))
        selections = request.context.get("selections") if service == "order-select" else None
        if selections is not None and (
            not isinstance(selections, list) or not all(isinstance(s, str) for s in selections)
        ):
            raise _Fail(
                400, "invalid", "context.selections must be a list of references", ["context.selections"]
            )
        try:
            orders = draft_medication_requests(request.context, selections)
            bundle = request.context["draftOrders"]
            resources_ = [e.get("resource") or {} for e in bundle.get("entry", [])]
            cards = []
            already = {a.rule for a in decision.alerts}
            shown: list[Shown] = []
            alerts: list[Any] = []
            fired: list[str] = []
            for where, medication_request in orders:
                order = order_feature(medication_request, resources_, self.codes.match, where)
                ordered = self.evaluate({**assessment, self.fhir.ORDER_FEATURE: order}, where)
                new = tuple(a for a in ordered.alerts if a.rule not in already)
                conflict = attrs.evolve(
                    ordered, recommendations=(), not_recommended=(), considered=(), alerts=new
                )
                made, seen = _cards(conflict, self.ruleset)
                _name_the_order(made, seen, medication_request, where)
                cards.extend(made)
                shown.extend(seen)
                alerts.extend(new)
                fired.extend(r for r in ordered.fired if r not in fired)
        except OrderInputError as error:
            raise _Fail(400, "invalid", error.message, [error.field]) from error
        # What an order hook shows is the conflicts only: the order's alerts, not the assessment's.
        conflicts = attrs.evolve(
            decision,
            recommendations=(),
            not_recommended=(),
            considered=(),
            alerts=tuple(alerts),
            fired=tuple(fired),
        )
        return conflicts, cards, shown

    def record(
        self, service: str, request: HookRequest, body: Any, decision: Decision, shown: list[Shown]
    ) -> None:
        record = DecisionRecord(
            decision_id=str(uuid.uuid4()),
            time=new_time(),
            service=service,
            hook_instance=request.hookInstance,
            ruleset_name=self.ruleset.name,
            ruleset_version=self.ruleset.version,
            ruleset_digest=self.ruleset.digest,
            fired=decision.fired,
            recommendations=tuple(r.intervention for r in decision.recommendations),
            cautions=tuple(
                {"intervention": r.intervention, "rule": c.rule, "severity": c.severity}
                for r in decision.recommendations
                for c in r.cautions
            ),
            alerts=tuple({"rule": a.rule, "severity": a.severity} for a in decision.alerts),
            cards=tuple(shown),
            input_hash=input_hash(self.config.salt, body),
            input=body if self.config.store_input else None,
        )
        self.config.sink.record_decision(record)

    def feedback(self, service: str, request: FeedbackRequest) -> None:
        if service not in HOOKS:
            raise _Fail(404, "not-found", f"no CDS service '{service}'; see GET /cds-services")
        records = []
        for i, item in enumerate(request.feedback):
            decision_id = self.config.sink.decision_for_card(item.card, service)
            if decision_id is None and self.config.sink.decision_for_card(item.card) is not None:
                raise _Fail(
                    400,
                    "business-rule",
                    f"this card was shown by another CDS service, not '{service}': send its feedback "
                    "to the feedback endpoint of the service that showed it",
                    [f"feedback[{i}].card"],
                )
            if decision_id is None:
                raise _Fail(
                    400,
                    "not-found",
                    "no decision served by this service showed this card",
                    [f"feedback[{i}].card"],
                )
            reason = _offered_reason(item, i)
            records.append(
                FeedbackRecord(
                    feedback_id=str(uuid.uuid4()),
                    time=new_time(),
                    decision_id=decision_id,
                    card=item.card,
                    outcome=item.outcome,
                    outcome_time=item.outcomeTimestamp,
                    override_reason=reason,
                    comment=(
                        item.overrideReason.userComment
                        if self.config.store_input and item.overrideReason
                        else None
                    ),
                )
            )
        self.config.sink.record_feedback(records)


def _offered_reason(item: FeedbackItem, index: int) -> dict[str, str] | None:
    """The override reason as the card offered it, or a 400 when the card did not offer it.

    Only the offered codings are recorded, with the service's own display: a client's display
    text is never stored (it could carry patient data), and governance counts stay comparable.
    """
    reason = item.overrideReason.reason if item.overrideReason else None
    if reason is None:
        return None
    for offered in OVERRIDE_REASONS:
        if (reason.system, reason.code) == (offered["system"], offered["code"]):
            return dict(offered)
    raise _Fail(
        400,
        "code-invalid",
        "the override reason is not one of the reasons the card offered (its overrideReasons)",
        [f"feedback[{index}].overrideReason.reason"],
    )


def _same_patient(patient_id: str, patient: Mapping[str, Any], response: Mapping[str, Any]) -> None:
    """Cards only for the patient in context: the prefetched Patient and the assessment's subject
    must both be ``context.patientId``. The error names the fields, never their values."""
    if patient.get("id") != patient_id:
        raise _Fail(
            400,
            "invalid",
            "the prefetched Patient is not the patient in context (context.patientId)",
            ["context.patientId", "prefetch.patient.id"],
        )
    subject = response.get("subject")
    reference = subject.get("reference") if isinstance(subject, Mapping) else None
    if not isinstance(reference, str) or not (
        reference == f"Patient/{patient_id}" or reference.endswith(f"/Patient/{patient_id}")
    ):
        raise _Fail(
            400,
            "invalid",
            "the assessment's subject is not the patient in context (context.patientId)",
            ["context.patientId", "prefetch.assessment.subject.reference"],
        )


def _unencodable(value: Any, where: str = "") -> str | None:
    """The field holding the first text that cannot be written as UTF-8 (a lone surrogate, which
    JSON's \\u escapes can carry), or None. A key that cannot be written is reported as its parent;
    one that does not look like a field name is shown as ``<key>``, as in an assessment."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return where or "body"
        return None
    if isinstance(value, BaseModel):  # its fields and the extra ones it allows, before any dump
        value = dict(value)
    if isinstance(value, Mapping):
        for key, item in value.items():
            name = str(key)
            if _unencodable(name) is not None:
                return where or "body"
            shown = name if is_name(name) else "<key>"  # else it may be text a person wrote
            found = _unencodable(item, f"{where}.{shown}" if where else shown)
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            found = _unencodable(item, f"{where}[{i}]")
            if found is not None:
                return found
    return None


def _encodable(body: Any) -> None:
    """Refuse text that cannot be hashed, audited or echoed (400 naming the field)."""
    where = _unencodable(body)
    if where is not None:
        raise _Fail(400, "invalid", "the text is not valid Unicode (a lone surrogate)", [where])


_FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")


def _name_the_order(
    cards: list[dict[str, Any]], shown: list[Shown], medication_request: Mapping[str, Any], where: str
) -> None:
    """Each order's cards say which order they concern and get uuids of their own, so that two
    orders with the same conflict give cards that feedback and the audit trail can tell apart."""
    rid = medication_request.get("id")
    order = f"MedicationRequest/{rid}" if isinstance(rid, str) and _FHIR_ID.fullmatch(rid) else where
    for card, seen in zip(cards, shown, strict=True):
        card["uuid"] = seen["uuid"] = str(uuid.uuid5(uuid.UUID(card["uuid"]), order))
        card["detail"] = f"Order: `{order}`\n\n{card['detail']}"
        seen["order"] = order


def _cards(decision: Decision, ruleset: RuleSet) -> tuple[list[dict[str, Any]], list[Shown]]:
    """The decision's cards, and what the audit keeps of each: its uuid, summary and indicator,
    and the interventions and rules it shows (how a card is traced back to its rules)."""
    from .._cards import cards_with_sources

    made = cards_with_sources(decision, ruleset)
    shown: list[Shown] = []
    for card, source in made:
        if isinstance(source, AlertNote):
            interventions, rules = [], [source.rule]
        elif isinstance(source, Recommendation):
            interventions = [source.intervention]
            rules = [e.rule for e in source.explanations] + [c.rule for c in source.cautions]
            rules += [p.rule for p in source.collaboration if p.rule]
        else:  # the one card for what is not suggested
            interventions = [n.intervention for n in decision.not_recommended]
            interventions += [c.intervention for c in decision.considered]
            rules = [n.rule for n in decision.not_recommended]
            rules += [e.rule for c in decision.considered for e in c.explanations]
            rules += [note.rule for c in decision.considered for note in c.cautions]
        shown.append(
            {
                "uuid": card["uuid"],
                "summary": card["summary"],
                "indicator": card["indicator"],
                "interventions": list(dict.fromkeys(interventions)),
                "rules": list(dict.fromkeys(rules)),
            }
        )
    return [card for card, _ in made], shown


PROBLEM_CODES = "urn:intervention-rules:problem-code"  # the IRnnn codes of docs/errors.md


def _problems(error: AssessmentError, where: str) -> _Fail:
    """400 with one issue per problem: its field or linkId, its message and its stable code."""
    issues = []
    for problem in error.problems:
        issue: dict[str, Any] = {
            "severity": "error",
            "code": "invalid",
            "diagnostics": f"the assessment is not valid: {problem}",
            "expression": [problem.field or where],
        }
        if problem.code:
            coding = {"system": PROBLEM_CODES, "code": problem.code, "display": problem.slug}
            issue["details"] = {"coding": [coding]}
        issues.append(issue)
    failure = _Fail(400, "invalid", "the assessment is not valid")
    failure.body["issue"] = issues
    return failure


#: The FHIR issue type of an HTTP error the framework raises itself.
_HTTP_ISSUE = {400: "invalid", 404: "not-found", 405: "not-supported"}


def _json(status: int, body: Any) -> JSONResponse:
    media = FHIR_JSON if isinstance(body, Mapping) and body.get("resourceType") else "application/json"
    return JSONResponse(body, status_code=status, media_type=media)


def _field(location: Sequence[Any]) -> str:
    """A validation error's location as the other errors name fields: ``feedback[0].card``."""
    out = ""
    for part in location:
        out += f"[{part}]" if isinstance(part, int) else f".{part}" if out else str(part)
    return out or "body"


def _malformed(errors: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One issue per validation error, naming its field and kind; a body that is not JSON names no
    field (the error's location is the offset of the first bad character)."""
    issues = []
    for e in errors:
        if e["type"] == "json_invalid":
            issues += outcome("invalid", "the request body is not valid JSON")["issue"]
        elif len(e["loc"]) == 1:  # the body itself: another JSON value, or not sent as JSON at all
            message = "the request body must be a JSON object, sent as application/json"
            issues += outcome("invalid", message)["issue"]
        else:
            issues += outcome("invalid", f"malformed request ({e['type']})", [_field(e["loc"][1:])])["issue"]
    return {"resourceType": "OperationOutcome", "issue": issues}


def create_app(ruleset: RuleSet, config: ServiceConfig) -> Any:
    """The ASGI application serving ``ruleset`` (wrapped in the request-size limit, and in the CORS
    middleware when ``config.cors_origins`` names any origin)."""
    service = _Service(ruleset, config)
    app = FastAPI(
        title="intervention-rules CDS Hooks service",
        version=ruleset.version,
        description=(
            f"CDS Hooks 2.0 services for the rule set {ruleset.name} {ruleset.version} "
            f"({ruleset.digest}). Decision support for qualified professionals; not a substitute "
            f"for clinical judgement. Request bodies over {config.max_body} bytes get 413."
        ),
        # The browsable forms load scripts from a CDN; a clinical service loads no third-party code.
        docs_url=None,
        redoc_url=None,
    )

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> JSONResponse:
        # Unknown paths, wrong methods and unparseable bodies: an OperationOutcome like every error.
        code = _HTTP_ISSUE.get(error.status_code, "processing")
        return _json(error.status_code, outcome(code, str(error.detail)))

    @app.exception_handler(_Fail)
    async def failed(request: Request, error: _Fail) -> JSONResponse:
        return _json(error.status, error.body)

    @app.exception_handler(RequestValidationError)
    async def malformed(request: Request, error: RequestValidationError) -> JSONResponse:
        # FastAPI's own errors carry the input; only locations and kinds are passed on.
        return _json(400, _malformed(error.errors()))

    @app.exception_handler(AuditError)
    async def unaudited(request: Request, error: AuditError) -> JSONResponse:
        return _json(
            503, outcome("exception", "the audit record could not be written; no cards are returned")
        )

    @app.get("/cds-services", summary="CDS Hooks discovery")
    def discovery() -> dict[str, Any]:
        return service.discovery()

    @app.post(
        "/cds-services/{service_id}",
        response_model=CardsResponse,
        responses=_ERRORS,
        summary="Call a CDS service",
    )
    def call(service_id: str, request: HookRequest) -> dict[str, Any]:
        _encodable(request)
        body = request.model_dump(mode="json", exclude_unset=True)
        decision, cards, shown = service.hook(service_id, request)
        service.record(service_id, request, body, decision, shown)
        return {"cards": cards}

    @app.post("/cds-services/{service_id}/feedback", responses=_ERRORS, summary="Feedback on the cards shown")
    def feedback(service_id: str, request: FeedbackRequest) -> dict[str, Any]:
        _encodable(request)
        service.feedback(service_id, request)
        return {}

    @app.get("/health", summary="The rule set this service evaluates")
    def health() -> dict[str, Any]:
        return {
            "status": "ok",
            "ruleset": {"name": ruleset.name, "version": ruleset.version, "digest": ruleset.digest},
        }

    @app.get("/questionnaire", summary="The assessment Questionnaire generated from the rule set")
    def questionnaire() -> JSONResponse:
        return JSONResponse(service.questionnaire, media_type=FHIR_JSON)

    page = resources.files(__package__).joinpath("static/index.html").read_text(encoding="utf-8")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def tryout() -> HTMLResponse:
        return HTMLResponse(page)

    return with_cors(BodyLimit(app, config.max_body), config.cors_origins)
