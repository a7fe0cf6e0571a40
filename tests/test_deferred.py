"""An evaluation settles the ranking and leaves the words (explanations, not-recommended notes,
cautions, prompts and alerts) to be written when first read: whenever, in whatever order and from
however many threads they are read, the decision is the same, byte for byte."""

from __future__ import annotations

import copy
import json
import linecache
import pickle
import sys
import threading
import types
from collections.abc import Callable
from typing import Any

import attrs
import pytest

import intervention_rules as ir
from golden import RULE_SETS, records

Reader = Callable[[ir.Decision], Any]

#: An assessment whose decision has cautions, prompts, not-recommended notes and alerts, several
#: of them templated.
TEENAGER_ON_LITHIUM: dict[str, Any] = {
    "age": 16,
    "reasons": ["coping", "self_punishment"],
    "medications": ["lithium"],
    "pattern": "repeated",
}


def _cases(name: str, count: int) -> list[dict[str, Any]]:
    """Stored assessments for one of the golden rule sets: the scenario assessments and
    generated ones, which reach templates, ``{matched...}`` texts, constraints and vetoes."""
    found = [r["assessment"] for r in records() if r["ruleset"] == name]
    assert len(found) >= count
    return found[:count]


@pytest.fixture(scope="module", params=sorted(RULE_SETS))
def ruleset_and_cases(request: pytest.FixtureRequest) -> tuple[ir.RuleSet, list[dict[str, Any]]]:
    name: str = request.param
    return ir.load_ruleset(RULE_SETS[name]), _cases(name, 40)


def _readers(decision: ir.Decision) -> list[Reader]:
    """Every part an evaluation leaves to be written, one reader each, last part first: each
    list of notes, then each note's text (also written when first read)."""
    readers: list[Reader] = [lambda d: d.alerts, lambda d: d.not_recommended]
    readers += [lambda d, i=i: d.alerts[i].text for i in range(len(decision.alerts))]
    readers += [lambda d, i=i: d.not_recommended[i].text for i in range(len(decision.not_recommended))]
    for i in reversed(range(len(decision.considered))):
        readers += [lambda d, i=i: d.considered[i].cautions, lambda d, i=i: d.considered[i].explanations]
        readers += [
            lambda d, i=i, j=j: d.considered[i].cautions[j].text
            for j in reversed(range(len(decision.considered[i].cautions)))
        ]
    for i in reversed(range(len(decision.recommendations))):
        readers += [
            lambda d, i=i: d.recommendations[i].cautions,
            lambda d, i=i: d.recommendations[i].collaboration,
            lambda d, i=i: d.recommendations[i].explanations,
        ]
        readers += [
            lambda d, i=i, j=j: d.recommendations[i].cautions[j].text
            for j in reversed(range(len(decision.recommendations[i].cautions)))
        ]
    return readers


def _json(decision: ir.Decision) -> str:
    return json.dumps(decision.to_dict(), ensure_ascii=False)


def test_reading_the_parts_in_any_order_gives_the_same_decision(
    ruleset_and_cases: tuple[ir.RuleSet, list[dict[str, Any]]],
) -> None:
    ruleset, cases = ruleset_and_cases
    for case in cases:
        expected = _json(ruleset.evaluate(case))
        backwards = ruleset.evaluate(case)
        for read in _readers(backwards):
            read(backwards)
        assert _json(backwards) == expected
        assert backwards == ruleset.evaluate(case)
        assert backwards.to_text() == ruleset.evaluate(case).to_text()


def test_threads_reading_one_decision_at_once_all_see_the_same(
    ruleset_and_cases: tuple[ir.RuleSet, list[dict[str, Any]]],
) -> None:
    ruleset, cases = ruleset_and_cases
    for case in cases[:10]:
        expected = ruleset.evaluate(case)
        reference = [read(expected) for read in _readers(expected)]
        shared = ruleset.evaluate(case)
        seen, errors = _read_together(shared, _readers(shared))
        assert errors == []
        assert seen == reference
        assert _json(shared) == _json(expected)


def _read_together(decision: ir.Decision, readers: list[Reader]) -> tuple[list[Any], list[BaseException]]:
    """Every reader on its own thread, all let go at once."""
    start = threading.Barrier(len(readers))
    seen: dict[int, Any] = {}
    errors: list[BaseException] = []

    def work(index: int, read: Reader) -> None:
        try:
            start.wait()
            seen[index] = read(decision)
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=work, args=pair) for pair in enumerate(readers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [seen.get(i) for i in range(len(readers))], errors


def test_a_decision_pickles_and_copies_as_what_it_holds() -> None:
    ruleset = ir.load_ruleset()
    case = TEENAGER_ON_LITHIUM
    expected = _json(ruleset.evaluate(case))
    for twin in (
        pickle.loads(pickle.dumps(ruleset.evaluate(case))),
        copy.deepcopy(ruleset.evaluate(case)),
        copy.copy(ruleset.evaluate(case)),
    ):
        assert _json(twin) == expected
        assert twin == ruleset.evaluate(case)
    # what was pickled holds the parts themselves: it needs no rule set to be read
    restored = pickle.loads(pickle.dumps(ruleset.evaluate(case)))
    assert all(isinstance(r.explanations, tuple) for r in restored.recommendations)


def test_a_decision_made_of_plain_tuples_equals_the_evaluated_one() -> None:
    """The data model takes tuples as before: a decision rebuilt from what an evaluated one holds
    is equal to it, and its repr names the public fields."""
    ruleset = ir.load_ruleset()
    decision = ruleset.evaluate(
        {"age": 15, "reasons": ["emotional_regulation"], "conditions": ["depression"]}
    )
    rebuilt = ir.Decision(
        ruleset=decision.ruleset,
        recommendations=tuple(
            attrs.evolve(
                r,
                explanations=tuple(r.explanations),
                collaboration=tuple(r.collaboration),
                cautions=tuple(r.cautions),
            )
            for r in decision.recommendations
        ),
        not_recommended=tuple(decision.not_recommended),
        alerts=tuple(decision.alerts),
        fired=decision.fired,
        considered=decision.considered,
    )
    assert rebuilt == decision
    assert _json(rebuilt) == _json(decision)
    assert repr(rebuilt) == repr(decision)
    shown = repr(decision)
    for public in ("explanations=(", "collaboration=(", "cautions=(", "not_recommended=(", "alerts=("):
        assert public in shown
    assert "_explanations" not in shown
    assert "_alerts" not in shown
    assert decision.alerts  # the case has alerts and vetoes
    assert decision.not_recommended
    fewer = attrs.evolve(decision, alerts=())
    assert fewer.alerts == ()
    assert fewer != decision
    assert fewer.not_recommended == decision.not_recommended


@pytest.mark.parametrize("locked", [False, True])
def test_a_read_overtaken_by_another_that_finishes_takes_its_value(locked: bool) -> None:
    """Two threads read one part: the first finds no value yet and is switched out; the second
    works the part out in full; the first then goes on. It must take the value the second kept,
    not fail for want of the work the second dropped."""
    from intervention_rules._explain import Deferred

    part: Deferred[int] = Deferred(threading.Lock() if locked else None, lambda n: tuple(range(n)), 3)
    looked, finished = threading.Event(), threading.Event()
    outcome: list[object] = []

    def pause_after_looking(frame: types.FrameType, event: str, arg: object) -> Any:
        # Within ``Deferred.__call__``, hold on at the line after the value was read.
        if event == "call":
            return pause_after_looking if frame.f_code is Deferred.__call__.__code__ else None
        if event == "line" and not looked.is_set():
            previous = linecache.getline(frame.f_code.co_filename, frame.f_lineno - 1).strip()
            if previous == "value = self._value":
                looked.set()
                finished.wait()
        return pause_after_looking

    def overtaken() -> None:
        sys.settrace(pause_after_looking)
        try:
            outcome.append(part())
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            outcome.append(error)
        finally:
            sys.settrace(None)

    reader = threading.Thread(target=overtaken)
    reader.start()
    assert looked.wait(timeout=60)
    assert part() == (0, 1, 2)
    finished.set()
    reader.join()
    assert outcome == [(0, 1, 2)]


def test_a_read_interrupted_half_way_leaves_the_decision_as_it_was(monkeypatch: pytest.MonkeyPatch) -> None:
    """An interrupt (Ctrl-C, a timeout raised by a signal handler) while a decision's notes are
    being written must leave nothing half done behind: read again, the decision is the same as
    one read in one go, whichever text was being filled when the interrupt came."""
    from intervention_rules._explain import Session

    ruleset = ir.load_ruleset()
    case = TEENAGER_ON_LITHIUM
    expected = _json(ruleset.evaluate(case))
    real = Session.fill
    filled = 0

    def counting(self: Session, *args: Any) -> str:
        nonlocal filled
        filled += 1
        return real(self, *args)

    monkeypatch.setattr(Session, "fill", counting)
    ruleset.evaluate(case).to_dict()
    texts = filled
    assert texts >= 2  # the case's notes have several texts to fill
    for stop in range(1, texts + 1):
        filled = 0

        def interrupted(self: Session, *args: Any, stop: int = stop) -> str:
            nonlocal filled
            filled += 1
            if filled == stop:
                raise KeyboardInterrupt
            return real(self, *args)

        decision = ruleset.evaluate(case)
        monkeypatch.setattr(Session, "fill", interrupted)
        with pytest.raises(KeyboardInterrupt):
            decision.to_dict()
        monkeypatch.setattr(Session, "fill", real)
        assert _json(decision) == expected, f"interrupted at text {stop}"


def test_a_decision_built_with_lists_reads_as_one_built_with_tuples() -> None:
    """The data model always took lists where tuples are annotated; a decision built so by hand
    reads, compares and serialises as one built with tuples, instead of failing when read."""
    decision = ir.load_ruleset().evaluate(
        {"age": 15, "reasons": ["emotional_regulation"], "conditions": ["depression"]}
    )
    recommendation = decision.recommendations[0]
    # lists where tuples are annotated, as a caller may well pass them
    listed = ir.Recommendation(
        intervention=recommendation.intervention,
        title=recommendation.title,
        category=recommendation.category,
        rank=recommendation.rank,
        strength=recommendation.strength,
        explanations=list(recommendation.explanations),
        collaboration=list(recommendation.collaboration),
        cautions=list(recommendation.cautions),
    )
    built = ir.Decision(
        ruleset=decision.ruleset,
        recommendations=(listed,),
        not_recommended=list(decision.not_recommended),
        alerts=list(decision.alerts),
        fired=decision.fired,
    )
    assert built.alerts == decision.alerts
    assert built.recommendations[0].explanations == recommendation.explanations
    assert built.to_dict()["alerts"] == decision.to_dict()["alerts"]
    assert built.to_dict()["recommendations"][0] == decision.to_dict()["recommendations"][0]
    assert listed == recommendation


def test_the_attrs_data_model_sees_the_public_fields_settled() -> None:
    """The decision classes are attrs classes: what attrs gives of them (fields, ``asdict``,
    ``astuple``, ``evolve``, positional pattern matching) names the public fields and holds the
    parts worked out, as for a decision built from tuples, never the calls left to work them."""
    ruleset = ir.load_ruleset()
    case = {"age": 16, "reasons": ["coping", "self_punishment"], "medications": ["lithium"]}
    decision = ruleset.evaluate(case)
    assert [a.name for a in attrs.fields(ir.Decision)] == [
        "ruleset",
        "recommendations",
        "not_recommended",
        "alerts",
        "fired",
        "considered",
    ]
    assert ir.Recommendation.__match_args__ == (
        "intervention",
        "title",
        "category",
        "rank",
        "strength",
        "explanations",
        "collaboration",
        "cautions",
    )
    plain = attrs.asdict(decision)
    assert plain == attrs.asdict(ruleset.evaluate(case))
    json.dumps(plain, default=str)  # nothing in it but data
    first = plain["recommendations"][0]
    assert list(first["explanations"]) == [attrs.asdict(e) for e in decision.recommendations[0].explanations]
    assert list(plain["alerts"]) == [attrs.asdict(a) for a in decision.alerts]
    assert attrs.astuple(ruleset.evaluate(case)) == attrs.astuple(decision)
    match ruleset.evaluate(case).recommendations[0]:
        case ir.Recommendation(_, _, _, _, _, explanations, _, cautions):
            assert explanations == decision.recommendations[0].explanations
            assert cautions == decision.recommendations[0].cautions
    assert attrs.evolve(ruleset.evaluate(case), fired=()).alerts == decision.alerts
