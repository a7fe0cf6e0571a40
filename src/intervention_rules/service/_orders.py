"""A drafted medicine order as rule-set input: the ``order`` feature (medicine, days of supply, days
until a booked review). Which orders conflict is decided by the rule set's rules (the bundled set:
``rules/80-orders.yaml``), never here; this module only reads the FHIR resources.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["OrderInputError", "draft_medication_requests", "order_feature"]

# UCUM and common FHIR Duration units, in days.
_DAYS = {"d": 1, "day": 1, "days": 1, "wk": 7, "week": 7, "weeks": 7, "mo": 30, "month": 30, "months": 30}
_MAX_DAYS = 3650


class OrderInputError(ValueError):
    """A draft order that cannot be read; ``field`` is where, never what it held."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def draft_medication_requests(
    context: Mapping[str, Any], selections: Sequence[str] | None
) -> list[tuple[str, dict[str, Any]]]:
    """The MedicationRequests of ``context.draftOrders`` (only the selected ones when ``selections``
    is given), each with its place in the bundle for error messages.

    A selection must name a resource of the bundle (``Type/id``): one that names none is an error,
    since answering it with no cards would read as "no conflict"."""
    bundle = context.get("draftOrders")
    if not isinstance(bundle, Mapping) or bundle.get("resourceType") != "Bundle":
        raise OrderInputError("context.draftOrders", "must be a FHIR Bundle of the draft orders")
    entries = bundle.get("entry", [])
    if not isinstance(entries, list):
        raise OrderInputError("context.draftOrders.entry", "must be a list")
    wanted = set(selections) if selections is not None else None
    held: set[str] = set()
    out = []
    for i, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, Mapping) else None
        if not isinstance(resource, Mapping):
            raise OrderInputError(f"context.draftOrders.entry[{i}].resource", "is missing")
        rid = resource.get("id")
        reference = f"{resource.get('resourceType')}/{rid}" if isinstance(rid, str) else None
        if reference is not None:
            held.add(reference)
        if resource.get("resourceType") != "MedicationRequest":
            continue
        if wanted is None or reference in wanted:
            out.append((f"context.draftOrders.entry[{i}].resource", dict(resource)))
    for i, selection in enumerate(selections or ()):
        if selection not in held:
            raise OrderInputError(f"context.selections[{i}]", "names no resource in context.draftOrders")
    return out


def _instant(value: Any, field: str) -> datetime.datetime:
    if not isinstance(value, str):
        raise OrderInputError(field, "must be a FHIR date or dateTime")
    try:
        moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise OrderInputError(field, "must be a FHIR date or dateTime") from error
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


def _supply_days(request: Mapping[str, Any], where: str) -> int | None:
    dispense = request.get("dispenseRequest")
    if not isinstance(dispense, Mapping) or "expectedSupplyDuration" not in dispense:
        return None
    duration = dispense["expectedSupplyDuration"]
    field = f"{where}.dispenseRequest.expectedSupplyDuration"
    if not isinstance(duration, Mapping):
        raise OrderInputError(field, "must be a FHIR Duration")
    value, unit = duration.get("value"), duration.get("code") or duration.get("unit")
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < math.inf:
        raise OrderInputError(f"{field}.value", "must be a non-negative number")
    if unit not in _DAYS:
        raise OrderInputError(f"{field}.code", "must be a duration in days, weeks or months (d, wk, mo)")
    repeats = dispense.get("numberOfRepeatsAllowed", 0)
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 0:
        raise OrderInputError(f"{where}.dispenseRequest.numberOfRepeatsAllowed", "must be a whole number")
    days = value * _DAYS[unit] * (1 + repeats)
    return _MAX_DAYS if days >= _MAX_DAYS else round(days)


def _review_days(request: Mapping[str, Any], others: Sequence[Mapping[str, Any]], where: str) -> int | None:
    """Days from the order (its authoredOn, else now) to the first follow-up booked with it."""
    start = (
        _instant(request["authoredOn"], f"{where}.authoredOn")
        if "authoredOn" in request
        else datetime.datetime.now(datetime.UTC)
    )
    days = []
    for i, resource in enumerate(others):
        kind = resource.get("resourceType")
        if kind == "ServiceRequest":
            period = resource.get("occurrencePeriod")
            when = resource.get("occurrenceDateTime") or (
                period.get("start") if isinstance(period, Mapping) else None
            )
            field = f"context.draftOrders.entry[{i}].resource.occurrenceDateTime"
        elif kind == "Appointment":
            when, field = resource.get("start"), f"context.draftOrders.entry[{i}].resource.start"
        else:
            continue
        if when is None:
            continue
        delta = _instant(when, field) - start
        days.append(max(0, min(_MAX_DAYS, delta.days + (1 if delta.seconds or delta.microseconds else 0))))
    return min(days) if days else None


def order_feature(
    request: Mapping[str, Any],
    bundle_resources: Sequence[Mapping[str, Any]],
    match: Callable[[Mapping[str, Any]], str | None],
    where: str,
) -> dict[str, Any]:
    """The ``order`` feature of one draft MedicationRequest: its medicine as the code map names it
    (left out when the map does not know it), its days of supply and the days to a booked review."""
    order: dict[str, Any] = {}
    medicine = match(request)
    if medicine is not None:
        order["medicine"] = medicine
    supply = _supply_days(request, where)
    if supply is not None:
        order["supply_days"] = supply
    review = _review_days(request, bundle_resources, where)
    if review is not None:
        order["review_days"] = review
    return order
