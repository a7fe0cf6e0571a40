"""Rules in plain language, for reviewers: "When the person is under 18 and family involved is yes:
recommend Family therapy, strength 2, because ...".

Derived facts are named by their description; features by their name with spaces. Tests that
need a feature to be recorded say so, so "not recorded" never reads as "no".
"""

from __future__ import annotations

from ..conditions import describe, operand_values, show_value
from ..model import (
    Action,
    Adjust,
    Alert,
    AllOf,
    AnyOf,
    Caution,
    Collaborate,
    Conclude,
    Condition,
    FactTest,
    Not,
    NotRecommend,
    OperatorName,
    Recommend,
    Rule,
    Test,
)
from ..ruleset import RuleSet

__all__ = ["WORDED", "action_text", "condition_text", "feature_label", "rule_sentence"]


def feature_label(name: str) -> str:
    """``family.involved`` -> ``family involved``."""
    return name.replace(".", " ").replace("_", " ")


def _values(values: object) -> str:
    items = [show_value(v) for v in values] if isinstance(values, list | tuple) else [show_value(values)]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


def _all_values(values: object) -> str:
    items = [show_value(v) for v in values] if isinstance(values, list | tuple) else [show_value(values)]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _number(value: object) -> str:
    return show_value(value)


def _test(test: Test) -> str:
    name, op, v = feature_label(test.feature), test.op, test.operand
    if op == "recorded":
        return f"{name} is recorded" if v else f"{name} is not recorded"
    words = {
        "eq": f"{name} is {show_value(v)}",
        "ne": f"{name} is recorded and is not {show_value(v)}",
        "lt": f"{name} is under {_number(v)}",
        "lte": f"{name} is {_number(v)} or less",
        "gt": f"{name} is over {_number(v)}",
        "gte": f"{name} is {_number(v)} or more",
        "in": f"{name} is {_values(v)}",
        "not_in": f"{name} is recorded and is not {_values(v)}",
        "contains_any": f"{name} include {_values(v)}",
        "contains_all": f"{name} include {_all_values(v)}",
        "contains_none": f"{name} are recorded and include none of {_all_values(v)}",
        "contains_other_than": f"{name} include something other than {_values(v)}",
    }
    if op == "between":
        low, high = operand_values(test)
        return f"{name} is between {_number(low)} and {_number(high)}"
    return words.get(op) or describe(test)  # an operator without wording yet reads as in explanations


#: The operators with their own plain-language wording (the others fall back to ``describe``).
WORDED: frozenset[OperatorName] = frozenset(
    {
        "recorded",
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
    }
)


def _fact(ruleset: RuleSet | None, fact: str) -> str:
    description = ruleset.facts.get(fact) if ruleset is not None else None
    if not description:
        return f"{fact.replace('_', ' ')} (derived)"
    text = description.strip().rstrip(".")
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        text = text[0].lower() + text[1:]
    return text


def _join(parts: list[str], word: str) -> str:
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + f" {word} " + parts[-1]


def condition_text(condition: Condition, ruleset: RuleSet | None = None, nested: bool = False) -> str:
    """A condition in words."""
    if isinstance(condition, Test):
        return _test(condition)
    if isinstance(condition, FactTest):
        return _fact(ruleset, condition.fact)
    if isinstance(condition, Not):
        return f"it is not so that {condition_text(condition.item, ruleset, True)}"
    word = "and" if isinstance(condition, AllOf) else "or"
    assert isinstance(condition, AllOf | AnyOf)
    parts = [condition_text(item, ruleset, True) for item in condition.items]
    text = _join(parts, word)
    if nested and len(parts) > 1:
        return f"({'either ' if word == 'or' else ''}{text})"
    return text


def _title(ruleset: RuleSet | None, intervention: str) -> str:
    if ruleset is not None and intervention in ruleset.interventions:
        return ruleset.interventions[intervention].title
    return intervention


def action_text(action: Action, ruleset: RuleSet | None = None) -> str:
    """An action in words; texts are quoted as written, placeholders such as {age} included."""
    if isinstance(action, Recommend):
        return (
            f"recommend {_title(ruleset, action.intervention)}, strength {show_value(action.strength)}, "
            f"because “{action.text}”"
        )
    if isinstance(action, Adjust):
        sign = "raise" if action.by > 0 else "lower"
        return (
            f"{sign} the strength of {_title(ruleset, action.intervention)} by {show_value(abs(action.by))} "
            f"(if recommended), because “{action.text}”"
        )
    if isinstance(action, NotRecommend):
        return f"do not recommend {_title(ruleset, action.intervention)}, because “{action.text}”"
    if isinstance(action, Caution):
        return f"caution ({action.severity}) on {_title(ruleset, action.intervention)}: “{action.text}”"
    if isinstance(action, Collaborate):
        return (
            f"with {_title(ruleset, action.intervention)}, involve the {feature_label(action.role)}: "
            f"“{action.prompt}”"
        )
    if isinstance(action, Alert):
        return f"alert ({action.severity}): “{action.text}”"
    assert isinstance(action, Conclude)
    return f"conclude that {_fact(ruleset, action.fact)}"


def rule_sentence(rule: Rule, ruleset: RuleSet | None = None) -> str:
    """The whole rule as one sentence."""
    actions = "; ".join(action_text(a, ruleset) for a in rule.then)
    return f"When {condition_text(rule.when, ruleset)}: {actions}."
