"""The compiled engine stays inside durable_rules' limits and agrees with the reference evaluator,
for large, adversarial and concurrent workloads."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import durable_rules_engine as dre
import pytest

import intervention_rules as ir
from helpers import make_ruleset, recommend, rule
from intervention_rules import _engine
from intervention_rules._compile import MAX_KEYS_PER_RULESET, MAX_RULES_PER_RULESET
from strategies import RandomSource, assessment, ruleset_document, write_ruleset


def agree(ruleset: ir.RuleSet, cases: list[dict[str, Any]]) -> int:
    """Check engine and reference evaluator on every case; return how many rules fired in all."""
    total = 0
    for case in cases:
        values = ruleset.normalise(case)
        engine, _ = ruleset._fire_engine(values)
        reference, _ = ruleset._fire_reference(values)
        assert [r.id for r in engine] == [r.id for r in reference], case
        total += len(engine)
    return total


def check_shape(ruleset: ir.RuleSet) -> None:
    for chunk in ruleset._plan.chunks:
        definition = json.loads(chunk.definition)
        assert len(definition) <= MAX_RULES_PER_RULESET + 1  # plus the sentinel
        assert len(chunk.keys) <= MAX_KEYS_PER_RULESET
        bodies = [json.dumps(v, sort_keys=True) for v in definition.values()]
        assert len(bodies) == len(set(bodies)), "two identical engine rules"


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> ir.RuleSet:
    """2,000 generated rules over the contract's vocabulary, with derived facts."""
    directory = tmp_path_factory.mktemp("large")
    return ir.load_ruleset(write_ruleset(directory, ruleset_document(RandomSource(2000), 2000, depth=3)))


def test_two_thousand_rules_load_and_evaluate_like_the_reference(large: ir.RuleSet) -> None:
    assert len(large.rules) == 2000
    assert len(large._plan.chunks) > 10  # really split across many engine rulesets
    check_shape(large)
    src = RandomSource(1)
    fired = agree(large, [assessment(src) for _ in range(60)])
    assert fired > 1000  # the cases really exercise the rules


def test_many_rules_matching_one_fact_at_once(tmp_path: Path) -> None:
    """300 rules that all match the same assessment: more than the 64 alpha nodes the engine
    can hold at once, if they shared one ruleset."""
    rules = [
        rule(
            f"R-{i}",
            {"all": [{"age": {"gte": i % 100}}, {"reasons": {"contains_any": ["coping"]}}]},
            recommend("cbt", 1),
        )
        for i in range(300)
    ]
    rs = make_ruleset(tmp_path, *rules)
    check_shape(rs)
    decision = rs.evaluate({"age": 120, "reasons": ["coping"]})
    assert len(decision.fired) == 300
    assert decision.recommendations[0].strength == 300.0


def test_identical_rules_each_fire_once(tmp_path: Path) -> None:
    """Over 256 identical conditions (error 108 in the engine) compile to one engine rule."""
    rules = [rule(f"SAME-{i}", {"pattern": "frequent"}, recommend("dbt", 1)) for i in range(300)]
    rs = make_ruleset(tmp_path, *rules)
    assert sum(len(json.loads(c.definition)) - 1 for c in rs._plan.chunks) == 1
    assert len(rs.evaluate({"age": 20, "pattern": "frequent"}).fired) == 300


def test_more_distinct_values_than_keys_a_fact_can_hold(tmp_path: Path) -> None:
    """400 medicines named in rules: more than the 254 keys of one engine fact."""
    names = [f"medicine {i}" for i in range(400)]
    rules = [
        rule(f"M-{i}", {"medications": {"contains_any": [name]}}, recommend("cbt", 1))
        for i, name in enumerate(names)
    ]
    rs = make_ruleset(tmp_path, *rules)
    check_shape(rs)
    decision = rs.evaluate({"age": 40, "medications": ["medicine 7", "medicine 399"]})
    assert decision.fired == ("M-7", "M-399")


def test_deep_nesting_compiles_flat(tmp_path: Path) -> None:
    """Twenty nested groups (the engine fails at fifteen) become flat conjunctions."""
    condition: dict[str, Any] = {"age": {"gte": 18}}
    for depth in range(20):
        condition = {"all" if depth % 2 else "any": [condition, {"not": {"pattern": "frequent"}}]}
    rs = make_ruleset(tmp_path, rule("DEEP", condition, recommend("cbt", 1)))
    src = RandomSource(3)
    agree(rs, [assessment(src) for _ in range(50)])


def test_a_condition_that_expands_too_far_is_a_load_error(tmp_path: Path) -> None:
    condition = {
        "all": [
            {"any": [{"age": {"gte": i}}, {"pattern": "frequent"}, {"score": {"lt": 0}}]} for i in range(8)
        ]
    }
    with pytest.raises(ir.RuleSetError, match="expands to more than 256 alternatives"):
        make_ruleset(tmp_path, rule("HUGE", condition, recommend("cbt", 1)))


def test_numbers_the_engine_parser_would_reject_are_written_plainly(tmp_path: Path) -> None:
    """durable_rules rejects exponent notation such as 1e-05: it must never reach it."""
    rs = make_ruleset(tmp_path, rule("TINY", {"score": {"gt": 0.00001}}, recommend("cbt", 1)))
    assert rs.evaluate({"age": 30, "score": 0.000011}).fired == ("TINY",)
    assert rs.evaluate({"age": 30, "score": 0.00001}).fired == ()
    assert rs.evaluate({"age": 30, "score": 1e-7}).fired == ()


def test_a_fact_holds_false_only_the_keys_a_rule_tests_for_false(tmp_path: Path) -> None:
    """The engine matches no test on a key a fact lacks, so a key some rule tests for false is
    written false, and any other key only when it is true: smaller facts, the same firings."""
    rs = make_ruleset(
        tmp_path,
        rule("CODE", {"reasons": {"contains_any": ["coping"]}}, recommend("cbt", 1)),
        rule("NOT-REPEATED", {"not": {"pattern": "repeated"}}, recommend("dbt", 1)),
    )
    (chunk,) = rs._plan.chunks
    (negated,) = chunk.negated
    assert set(chunk.keys) - {negated}  # the positive test's key
    bare = rs._encoder.body(0, rs._encoder.members(rs.normalise({"age": 30})))
    assert bare == f'"{negated}":false'
    cases = {
        (): ("NOT-REPEATED",),
        ("coping",): ("CODE", "NOT-REPEATED"),
    }
    for reasons, fired in cases.items():
        for pattern, fires_not in (("repeated", False), ("frequent", True), (None, True)):
            case: dict[str, Any] = {"age": 30, "reasons": list(reasons)}
            if pattern:
                case["pattern"] = pattern
            expected = tuple(r for r in fired if r != "NOT-REPEATED" or fires_not)
            assert rs.evaluate(case).fired == expected, case


def test_rule_that_tests_only_absence_terminates(tmp_path: Path) -> None:
    """A rule made only of 'not recorded' loops forever in the raw engine; here it is guarded."""
    rs = make_ruleset(tmp_path, rule("ABSENT", {"pattern": {"recorded": False}}, recommend("cbt", 1)))
    assert rs.evaluate({"age": 30}).fired == ("ABSENT",)
    assert rs.evaluate({"age": 30, "pattern": "frequent"}).fired == ()


def sessions_hold_no_fact(ruleset: ir.RuleSet) -> None:
    """Each engine ruleset keeps one session, and between calls it holds no fact."""
    engine = ruleset._engine
    for handle, sid in zip(engine._handles, engine._sessions, strict=True):
        assert json.loads(dre.get_facts(handle, sid)) == []


def test_nothing_matching_is_safe_and_leaves_no_fact(tmp_path: Path) -> None:
    """Asserting a fact that matches no rule, then deleting its state, crashed the process
    without the sentinel rule; a session that saw only such facts still ends empty."""
    rs = make_ruleset(tmp_path, rule("NEVER", {"age": {"gt": 119}}, recommend("cbt", 1)))
    for _ in range(200):
        assert rs.evaluate({"age": 30}).fired == ()
    sessions_hold_no_fact(rs)


@pytest.mark.parametrize("failure", [KeyboardInterrupt, dre.error])
def test_a_call_interrupted_while_firing_retires_its_session(
    large: ir.RuleSet, monkeypatch: pytest.MonkeyPatch, failure: type[BaseException]
) -> None:
    """Whatever stops a call half way through firing (Ctrl-C, an engine error) takes that engine
    ruleset's session with it: its state is deleted and the next call starts a fresh one, so no
    half-fired fact is ever seen again."""
    src = RandomSource(5)
    cases = [assessment(src) for _ in range(20)]
    expected = [large.evaluate(c).to_dict() for c in cases]
    before = list(large._engine._sessions)
    real = dre.complete_and_start_action

    def fail(handle: int, state: str) -> str | None:
        raise failure("stopped")

    monkeypatch.setattr(dre, "complete_and_start_action", fail)
    with pytest.raises(KeyboardInterrupt if failure is KeyboardInterrupt else ir.EngineError):
        large.evaluate(cases[0])
    monkeypatch.setattr(dre, "complete_and_start_action", real)
    after = large._engine._sessions
    retired = [i for i, (old, new) in enumerate(zip(before, after, strict=True)) if old != new]
    assert len(retired) == 1  # the first engine ruleset that fired a rule, and only that one
    (index,) = retired
    with pytest.raises(dre.error, match="309"):
        dre.get_state(large._engine._handles[index], before[index])
    assert [large.evaluate(c).to_dict() for c in cases] == expected
    sessions_hold_no_fact(large)


def test_eight_threads_on_one_ruleset_equal_sequential_and_leave_no_fact(large: ir.RuleSet) -> None:
    src = RandomSource(8)
    cases = [assessment(src) for _ in range(30)]
    expected = [json.dumps(large.evaluate(c).to_dict()) for c in cases]
    first_sid = next(_engine._sids)
    results: dict[int, list[str]] = {}
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            results[worker] = [json.dumps(large.evaluate(c).to_dict()) for c in cases]
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert all(results[i] == expected for i in range(8))
    last_sid = next(_engine._sids)
    assert last_sid == first_sid + 1  # no call needed a session of its own
    sessions_hold_no_fact(large)


def test_engine_refusals_become_engine_errors() -> None:
    with pytest.raises(ir.EngineError, match="refused a compiled ruleset"):
        _engine.Engine(['{"r": {"all": [{"m": {"$lt": {"k": 1e-05}}}]}}'])


def test_compile_problems_name_the_file_as_given(tmp_path: Path) -> None:
    condition = {
        "all": [
            {"any": [{"age": {"gte": i}}, {"pattern": "frequent"}, {"score": {"lt": 0}}]} for i in range(8)
        ]
    }
    with pytest.raises(ir.RuleSetError) as caught:
        make_ruleset(tmp_path, rule("HUGE", condition, recommend("cbt", 1)))
    (problem,) = caught.value.problems
    assert problem.file == str(tmp_path / "ruleset.yaml")
    assert problem.rule == "HUGE"


@pytest.mark.parametrize(
    ("threshold", "value", "fires"),
    [
        (0, 1e-25, True),
        (1e-7, 1.0000000000000001e-07, True),
        (1e-7, 1e-7, False),
        (0, 5e-324, True),
        (-1e-300, 0.0, True),
    ],
)
def test_tiny_numbers_compare_exactly_in_the_engine(
    tmp_path: Path, threshold: float, value: float, fires: bool
) -> None:
    rs = make_ruleset(tmp_path, rule("POS", {"score": {"gt": threshold}}, recommend("cbt", 1)))
    values = rs.normalise({"age": 30, "score": value})
    assert [r.id for r in rs._fire_engine(values)[0]] == [r.id for r in rs._fire_reference(values)[0]]
    assert (rs.evaluate({"age": 30, "score": value}).fired == ("POS",)) is fires


def test_an_action_is_named_by_its_first_key_however_it_is_spaced() -> None:
    """The rule name is read off the engine's action without parsing the fact; any other layout
    is parsed in full rather than guessed at."""
    assert _engine._action_name('{"c12":{"m":{"sid":"1","id":"f","ir_g":1,"k0":true}}}') == "c12"
    assert _engine._action_name('{"ir_sentinel":{"m":{"sid":"1"}}}') == "ir_sentinel"
    assert _engine._action_name('{ "c3" : {"m": {"sid": "1"}}}') == "c3"
