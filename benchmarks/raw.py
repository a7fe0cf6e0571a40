"""The raw engine alone: durable_rules asserting facts that were compiled in advance.

This is the floor under ``RuleSet.evaluate``: the same engine rulesets, the same protocol (one
fact per engine ruleset asserted into that ruleset's one session, every action taken, the fact
retracted), but no validation of the assessment, no writing of the facts, no ranking and no
explanations.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

import durable_rules_engine as dre

import intervention_rules as ir

__all__ = ["RawEngine"]

_names = itertools.count()


class RawEngine:
    def __init__(self, ruleset: ir.RuleSet) -> None:
        plan = ruleset._plan
        self.ruleset = ruleset
        self.handles = [dre.create_ruleset(f"bench_raw_{next(_names)}", c.definition) for c in plan.chunks]
        self.fires = [c.fires for c in plan.chunks]

    def prepare(self, assessment: Mapping[str, Any]) -> list[tuple[int, str]]:
        """The engine facts of an assessment, chunk by chunk, with every derived fact that
        evaluation concludes already set."""
        rs = self.ruleset
        values = rs.normalise(assessment)
        _, facts = rs._fire_engine(values)
        members = rs._encoder.members(values)
        rs._encoder.conclude(members, facts)
        out = []
        for index in range(len(self.handles)):
            body = rs._encoder.body(index, members)
            out.append((index, '{"sid":"1","id":"f","ir_g":1' + ("," + body if body else "") + "}"))
        return out

    def run(self, prepared: list[tuple[int, str]]) -> list[str]:
        """Assert each prepared fact, take every action, retract it; the names of the engine rules
        that fired."""
        fired: list[str] = []
        for index, fact in prepared:
            handle = self.handles[index]
            _, state = dre.assert_fact(handle, fact)
            result = dre.start_action_for_state(handle, state)
            message = result[1] if result else None
            while message:
                fired.append(f"{index}:{message[2 : message.index(chr(34), 2)]}")
                message = dre.complete_and_start_action(handle, state)
            dre.retract_fact(handle, fact)
        return fired

    def rule_ids(self, fired: list[str]) -> set[str]:
        out: set[str] = set()
        for name in fired:
            index, engine_rule = name.split(":")
            if engine_rule.startswith("c"):
                out.update(self.fires[int(index)][int(engine_rule[1:])])
        return out
