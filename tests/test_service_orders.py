"""A draft MedicationRequest as the rule set's ``order`` feature: the medicine through the code map,
the days of supply, the days to a booked review; unreadable orders name the field. And the order
rules know every medicine of the code map the way the rules for current medicines do."""

from __future__ import annotations

from typing import Any

import pytest

import intervention_rules as ir
from intervention_rules.fhir import load_medication_codes
from intervention_rules.model import Conclude
from intervention_rules.service._orders import OrderInputError, draft_medication_requests, order_feature
from service_server import RULES, draft_orders, follow_up, medication_request

CODES = load_medication_codes()


def feature(request: dict[str, Any], *others: dict[str, Any]) -> dict[str, Any]:
    return order_feature(request, [request, *others], CODES.match, "order")


def test_an_order_becomes_medicine_supply_and_review() -> None:
    order = medication_request("Efexor XL 75 mg capsules", supply_days=7, authored="2026-11-30T10:00:00Z")
    order["dispenseRequest"]["numberOfRepeatsAllowed"] = 3
    assert feature(order, follow_up("2026-12-04T09:00:00Z"), follow_up("2026-12-20")) == {
        "medicine": "venlafaxine",
        "supply_days": 28,
        "review_days": 4,
    }


@pytest.mark.parametrize(
    ("value", "unit", "days"), [(2, "wk", 14), (1, "mo", 30), (10, "d", 10), (1.5, "wk", 10)]
)
def test_supply_durations_in_days_weeks_and_months(value: float, unit: str, days: int) -> None:
    order = medication_request("Sertraline 50 mg")
    order["dispenseRequest"] = {"expectedSupplyDuration": {"value": value, "code": unit}}
    assert feature(order)["supply_days"] == days


def test_what_the_order_does_not_say_is_not_recorded() -> None:
    """An unknown medicine, no supply duration, no follow-up: the fields are left out."""
    assert feature(medication_request("Paracetamol 500 mg")) == {}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda o: o.update(authoredOn="yesterday"), "order.authoredOn"),
        (
            lambda o: o.update(dispenseRequest={"expectedSupplyDuration": {"value": 2, "code": "h"}}),
            "order.dispenseRequest.expectedSupplyDuration.code",
        ),
        (
            lambda o: o.update(
                dispenseRequest={
                    "expectedSupplyDuration": {"value": 2, "code": "d"},
                    "numberOfRepeatsAllowed": -1,
                }
            ),
            "order.dispenseRequest.numberOfRepeatsAllowed",
        ),
        (
            lambda o: o.update(dispenseRequest={"expectedSupplyDuration": "28 days"}),
            "order.dispenseRequest.expectedSupplyDuration",
        ),
    ],
)
def test_an_unreadable_order_names_the_field(change: Any, field: str) -> None:
    order = medication_request("Sertraline 50 mg")
    change(order)
    with pytest.raises(OrderInputError) as error:
        feature(order, follow_up("2026-12-01"))
    assert error.value.field == field


def test_order_select_takes_only_the_selected_requests_and_skips_other_resources() -> None:
    bundle = draft_orders(
        medication_request("A", rid="a"), follow_up("2026-12-01"), medication_request("B", rid="b")
    )
    everything = draft_medication_requests({"draftOrders": bundle}, None)
    assert [(where, r["id"]) for where, r in everything] == [
        ("context.draftOrders.entry[0].resource", "a"),
        ("context.draftOrders.entry[2].resource", "b"),
    ]
    assert [
        r["id"] for _, r in draft_medication_requests({"draftOrders": bundle}, ["MedicationRequest/b"])
    ] == ["b"]
    for context, where in (
        ({}, "context.draftOrders"),
        ({"draftOrders": {"resourceType": "Bundle", "entry": {}}}, "context.draftOrders.entry"),
        ({"draftOrders": {"resourceType": "Bundle", "entry": [{}]}}, "context.draftOrders.entry[0].resource"),
    ):
        with pytest.raises(OrderInputError) as error:
            draft_medication_requests(context, None)
        assert error.value.field == where


def test_a_selection_that_names_no_draft_order_is_an_error_naming_it() -> None:
    """order-select: a selection the bundle does not hold is refused, never answered with no cards."""
    bundle = draft_orders(medication_request("A", rid="a"), follow_up("2026-12-01"))
    assert draft_medication_requests({"draftOrders": bundle}, ["ServiceRequest/review"]) == []
    for selections in (["MedicationRequest/a", "MedicationRequest/private-id"], ["MedicationRequest/None"]):
        with pytest.raises(OrderInputError) as error:
            draft_medication_requests({"draftOrders": bundle}, selections)
        assert error.value.field == f"context.selections[{len(selections) - 1}]"
        assert "private-id" not in str(error.value)
    unnamed = draft_orders({k: v for k, v in medication_request("A").items() if k != "id"})
    with pytest.raises(OrderInputError):
        draft_medication_requests({"draftOrders": unnamed}, ["MedicationRequest/None"])


def _concluding(ruleset: ir.RuleSet, fact: str) -> set[str]:
    return {r.id for r in ruleset.rules if any(isinstance(a, Conclude) and a.fact == fact for a in r.then)}


@pytest.mark.parametrize(
    ("taking", "ordering"),
    [("taking_antidepressant", "ordering_antidepressant"), ("taking_valproate", "ordering_valproate")],
)
def test_the_order_rules_know_the_code_maps_medicines_as_the_current_medicine_rules_do(
    taking: str, ordering: str
) -> None:
    """Every medicine the code map can give is an antidepressant (or valproate) to the order rules
    exactly when it is one to the rules about current medicines."""
    ruleset = ir.load_ruleset(RULES)
    takes, orders = _concluding(ruleset, taking), _concluding(ruleset, ordering)
    assert takes
    assert orders
    for medicine in CODES.values:
        as_current = bool(takes & set(ruleset.evaluate({"age": 40, "medications": [medicine]}).fired))
        as_ordered = bool(orders & set(ruleset.evaluate({"age": 40, "order": {"medicine": medicine}}).fired))
        assert as_current == as_ordered, medicine
