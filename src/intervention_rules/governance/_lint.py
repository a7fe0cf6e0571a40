"""Governance findings about a rule set, each with a severity, a place and (where it can) an example.

:func:`lint` loads a rule set (and its manifest, if there is one) and returns every finding;
a rule set that does not load gives one ``error`` finding per load problem. The checks are listed,
with their severities, in docs/governance.md.
"""

from __future__ import annotations

import datetime
import json
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import attrs

from .._codes import slug_of
from .._yaml import Located, load_located
from ..conditions import referenced_facts, referenced_features
from ..errors import RuleSetError
from ..loading import bundled_rules_path, load_ruleset
from ..model import (
    Adjust,
    Caution,
    Collaborate,
    Conclude,
    NotRecommend,
    Recommend,
    Rule,
    action_intervention,
)
from ..ruleset import RuleSet
from ._logic import NEVER, UNDECIDED, Logic
from ._manifest import Manifest, ManifestError, manifest_path, manifest_problems, read_manifest

__all__ = ["EXIT_STATUS", "SEVERITIES", "Finding", "LintResult", "lint", "lint_ruleset"]

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")
#: The command's exit status for the worst finding (``None``: no finding at all).
EXIT_STATUS: dict[Severity | None, int] = {"error": 1, "warning": 3, "info": 0, None: 0}
REVIEW_SOON_DAYS = 30
_MODELINE = re.compile(r"^#\s*yaml-language-server:\s*\$schema=(\S+)")
PLACEHOLDER_WORDS = ("pending", "tbd", "tbc", "todo", "to be confirmed", "unassigned", "unknown")


@attrs.frozen
class Finding:
    """One governance finding. ``code`` is its stable code (``IR419``), ``slug`` the code's short
    name (``unreachable``); a rule set that does not load gives its load problems' own codes."""

    severity: Severity
    code: str
    message: str
    file: str = ""
    line: int = 0
    column: int = 0
    rule: str | None = None
    example: dict[str, Any] | None = None  # an assessment that shows the finding, checked by evaluating it

    @property
    def slug(self) -> str:
        return slug_of(self.code)

    def __str__(self) -> str:
        """One line: where, severity, code, rule and message, and the example when there is one
        (an assessment lint built and evaluated, never a patient's)."""
        where = (f"{self.file}:{self.line}:{self.column}" if self.line else self.file) or "<rule set>"
        subject = f"{self.rule}: " if self.rule else ""
        text = f"{where}: {self.severity} [{self.code} {self.slug}] {subject}{self.message}"
        if self.example is None:
            return text
        shown = json.dumps(self.example, sort_keys=True, ensure_ascii=False)
        return f"{text}: {shown}" if self.message.endswith("example") else f"{text} (example: {shown})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "code": self.code,
            "slug": self.slug,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "rule": self.rule,
            "example": self.example,
        }


@attrs.frozen
class LintResult:
    """Every finding, worst first, and what was linted."""

    findings: tuple[Finding, ...]
    ruleset: RuleSet | None
    manifest: Manifest | None

    @property
    def worst(self) -> Severity | None:
        for severity in SEVERITIES:
            if any(f.severity == severity for f in self.findings):
                return severity
        return None

    @property
    def exit_status(self) -> int:
        return EXIT_STATUS[self.worst]

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ruleset": (
                {"name": self.ruleset.name, "version": self.ruleset.version, "digest": self.ruleset.digest}
                if self.ruleset
                else None
            ),
            "worst": self.worst,
            "counts": {s: self.count(s) for s in SEVERITIES},
            "findings": [f.to_dict() for f in self.findings],
        }

    def to_text(self) -> str:
        lines = [str(f) for f in self.findings]
        counts = ", ".join(f"{self.count(s)} {s}{'s' if self.count(s) != 1 else ''}" for s in SEVERITIES)
        lines.append(f"{counts}; worst: {self.worst or 'none'}")
        return "\n".join(lines)


def _order(finding: Finding) -> tuple[Any, ...]:
    return (SEVERITIES.index(finding.severity), finding.file, finding.line, finding.column, finding.code)


def lint(
    rules: str | os.PathLike[str] | None = None,
    *,
    today: datetime.date | None = None,
    manifest: str | os.PathLike[str] | None = None,
) -> LintResult:
    """Load a rule set and its manifest (``manifest.json`` beside the rules, when present) and
    return every governance finding."""
    root = bundled_rules_path() if rules is None else Path(rules)
    where = Path(manifest) if manifest is not None else manifest_path(root)
    try:
        ruleset = load_ruleset(root)
    except RuleSetError as error:
        found = [
            Finding("error", p.code, p.message, p.file, p.line, p.column, p.rule) for p in error.problems
        ]
        return LintResult(tuple(found), None, None)
    record: Manifest | None = None
    findings: list[Finding] = []
    if where.exists():
        try:
            record = read_manifest(where)
        except ManifestError as error:
            findings += [
                Finding("error", p.code, p.message, p.file, p.line, p.column) for p in error.problems
            ]
    elif manifest is not None:
        findings.append(Finding("error", "IR401", "no manifest at this path", str(where)))
    result = lint_ruleset(ruleset, root, today=today, manifest=record, manifest_file=str(where))
    return LintResult(tuple(sorted([*findings, *result.findings], key=_order)), ruleset, record)


def lint_ruleset(
    ruleset: RuleSet,
    root: str | os.PathLike[str],
    *,
    today: datetime.date | None = None,
    manifest: Manifest | None = None,
    manifest_file: str = "",
    approved: bool | None = None,
) -> LintResult:
    """The findings for a loaded rule set read from ``root``. The set counts as approved when
    a manifest is given (or ``approved`` says so)."""
    checker = _Checker(ruleset, Path(root), today or datetime.date.today())
    if manifest is not None:
        for p in manifest_problems(ruleset, manifest, manifest_file):
            checker.add("error", p.code, p.message, (manifest_file, 1, 1))
    checker.run(manifest is not None if approved is None else approved)
    return LintResult(tuple(sorted(checker.findings, key=_order)), ruleset, manifest)


Place = tuple[str, int, int]


class _Checker:
    def __init__(self, ruleset: RuleSet, root: Path, today: datetime.date) -> None:
        self.ruleset = ruleset
        self.root = root
        self.today = today
        self.findings: list[Finding] = []
        self.live = ruleset.live_rules
        self.docs = self._documents()

    # --- places ---------------------------------------------------------------------------

    def _documents(self) -> list[Located]:
        docs = []
        for relative in self.ruleset.files:
            path = self._file(relative)
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            doc, _ = load_located(str(path), text, relative)
            if doc is not None:
                docs.append(doc)
        return docs

    def _file(self, relative: str) -> Path:
        return self.root if self.root.is_file() else self.root / relative

    def place_of_rule(self, rule: Rule) -> Place:
        loc = rule.location
        return (str(self._file(loc.file)), loc.line, loc.column)

    def place_in_section(self, *path: str | int) -> Place:
        for doc in self.docs:
            node: Any = doc.data
            for part in path:
                if isinstance(node, dict) and part in node:
                    node = node[part]
                else:
                    break
            else:
                line, column = doc.where(tuple(path))
                return (doc.file, line, column)
        return (str(self.root), 0, 0)

    def add(
        self,
        severity: Severity,
        code: str,
        message: str,
        place: Place,
        rule: str | None = None,
        example: dict[str, Any] | None = None,
    ) -> None:
        self.findings.append(Finding(severity, code, message, place[0], place[1], place[2], rule, example))

    # --- the checks ----------------------------------------------------------------------

    def run(self, approved: bool) -> None:
        self.schema_pointers()
        for rule in self.live:
            self.review(rule, approved)
        self.vocabulary()
        self.article_grades()
        logic = Logic(self.ruleset)
        self.reachability(logic)
        self.conflicts(logic)

    def schema_pointers(self) -> None:
        """Editors find the schema from a ``$schema`` key or a yaml-language-server modeline."""
        for doc in self.docs:
            pointers = [doc.data.get("$schema") if isinstance(doc.data, dict) else None]
            try:
                head = Path(doc.file).read_text(encoding="utf-8").splitlines()[:5]
            except (OSError, UnicodeDecodeError):
                head = []
            pointers += [m.group(1) for line in head if (m := _MODELINE.match(line))]
            if not any(isinstance(p, str) and p.endswith("rule-file.schema.json") for p in pointers):
                self.add(
                    "info",
                    "IR424",
                    "the file does not point at the rule-file JSON Schema (a '$schema' key or a "
                    "'# yaml-language-server: $schema=...' first line), so editors cannot check it "
                    "as it is typed",
                    (doc.file, 1, 1),
                )

    def review(self, rule: Rule, approved: bool) -> None:
        place = self.place_of_rule(rule)
        due = rule.review_due
        if due < self.today:
            self.add("error", "IR404", f"review was due on {due.isoformat()}", place, rule.id)
        elif (due - self.today).days <= REVIEW_SOON_DAYS:
            self.add("info", "IR405", f"review is due on {due.isoformat()}", place, rule.id)
        if rule.status == "draft":
            if approved:
                self.add(
                    "error",
                    "IR406",
                    "a draft rule in an approved rule set: it evaluates and reaches decisions without "
                    "having been reviewed",
                    place,
                    rule.id,
                )
            else:
                self.add(
                    "info",
                    "IR407",
                    "draft rule: it evaluates, marked draft in decisions",
                    place,
                    rule.id,
                )
            return
        # The loader already refuses an active rule without a reviewer or evidence.
        reviewer = (rule.reviewer or "").strip()
        if reviewer.casefold() == rule.author.strip().casefold():
            self.add("warning", "IR408", f"reviewed by its own author ({rule.author})", place, rule.id)
        elif any(word in reviewer.casefold() for word in PLACEHOLDER_WORDS):
            self.add(
                "warning",
                "IR409",
                f"the reviewer is a placeholder: '{reviewer}'",
                place,
                rule.id,
            )
        if any(isinstance(a, Recommend) for a in rule.then) and all(
            e.grade == "not_graded" for e in rule.evidence
        ):
            self.add("info", "IR410", "it recommends on evidence that is not graded", place, rule.id)

    def article_grades(self) -> None:
        """The source article is what the rule set encodes, not evidence of an effect: an
        evidence entry citing it (``ruleset.source_article``) is always ``not_graded``."""
        article = self.ruleset.source_article
        if article is None:
            return
        message = (
            "evidence citing the source article ({source}) is graded '{grade}': the article is the "
            "content encoded here, not evidence of an effect; grade it not_graded and cite the "
            "studies or guidance for the grade"
        )
        for iv in self.ruleset.interventions.values():
            for ev in iv.evidence:
                if article in ev.source and ev.grade != "not_graded":
                    where = self.place_in_section("interventions", iv.id, "evidence")
                    self.add(
                        "error",
                        "IR425",
                        message.format(source=ev.source, grade=ev.grade),
                        where,
                    )
        for rule in self.live:
            for ev in rule.evidence:
                if article in ev.source and ev.grade != "not_graded":
                    self.add(
                        "error",
                        "IR425",
                        message.format(source=ev.source, grade=ev.grade),
                        self.place_of_rule(rule),
                        rule.id,
                    )

    def vocabulary(self) -> None:
        rs = self.ruleset
        tested = {f for r in self.live for f in referenced_features(r.when)}
        for name in rs.features:
            if name not in tested:
                parts: tuple[str | int, ...] = ("features", name)
                if "." in name:
                    parent, field = name.split(".", 1)
                    parts = ("features", parent, "fields", field)
                self.add("info", "IR411", f"no rule tests feature '{name}'", self.place_in_section(*parts))
        concluded = {a.fact for r in self.live for a in r.then if isinstance(a, Conclude)}
        facts_tested = {f for r in self.live for f in referenced_facts(r.when)}
        for fact in rs.facts:
            place = self.place_in_section("facts", fact)
            if fact not in concluded and fact in facts_tested:
                self.add(
                    "warning",
                    "IR412",
                    f"rules test fact '{fact}' but no rule concludes it",
                    place,
                )
            elif fact not in concluded:
                self.add("info", "IR413", f"no rule concludes or tests fact '{fact}'", place)
            elif fact not in facts_tested:
                self.add("info", "IR414", f"fact '{fact}' is concluded but no rule tests it", place)
        prompted = {p.role for i in rs.interventions.values() for p in i.collaboration}
        prompted |= {a.role for r in self.live for a in r.then if isinstance(a, Collaborate)}
        for role in rs.roles:
            if role not in prompted:
                self.add(
                    "info",
                    "IR415",
                    f"no prompt involves role '{role}'",
                    self.place_in_section("roles", role),
                )
        recommended = {a.intervention for r in self.live for a in r.then if isinstance(a, Recommend)}
        mentioned = {action_intervention(a) for r in self.live for a in r.then}
        collaborated = {a.intervention for r in self.live for a in r.then if isinstance(a, Collaborate)}
        for iv in rs.interventions.values():
            loc = iv.location
            place = (str(self._file(loc.file)), loc.line, loc.column)
            if iv.id not in mentioned:
                self.add("warning", "IR416", f"no rule concerns intervention '{iv.id}'", place)
            elif iv.id not in recommended:
                self.add("info", "IR417", f"no rule recommends intervention '{iv.id}'", place)
            elif not iv.collaboration and iv.id not in collaborated:
                self.add(
                    "info",
                    "IR418",
                    f"'{iv.id}' is recommended but no prompt says who to involve",
                    place,
                )

    def reachability(self, logic: Logic) -> None:
        for rule in self.live:
            answer = logic.example([rule])
            place = self.place_of_rule(rule)
            if answer == NEVER:
                self.add(
                    "warning",
                    "IR419",
                    "its condition can never be true (given the vocabulary and the rules that conclude "
                    "its derived facts); it never fires",
                    place,
                    rule.id,
                )
            elif answer == UNDECIDED:
                self.add("info", "IR423", "could not decide whether it can ever fire", place, rule.id)

    def conflicts(self, logic: Logic) -> None:
        by_intervention: dict[str, tuple[list[Rule], list[Rule]]] = {}
        for rule in self.live:
            for action in rule.then:
                iv = action_intervention(action)
                if iv is None:
                    continue
                pros, cons = by_intervention.setdefault(iv, ([], []))
                if isinstance(action, Recommend) and rule not in pros:
                    pros.append(rule)
                elif isinstance(action, NotRecommend) and rule not in cons:
                    cons.append(rule)
        unreachable = {f.rule for f in self.findings if f.code == "IR419"}
        for iv, (pros, cons) in by_intervention.items():
            pros = [r for r in pros if r.id not in unreachable]
            cons = [r for r in cons if r.id not in unreachable]
            for pro in pros:
                overlapping = self._overlaps(logic, iv, pro, cons)
                if overlapping and not any(r.id == pro.id for r in cons):
                    alone = logic.example([pro], silent=cons)
                    if alone == NEVER:
                        names = ", ".join(r.id for r in overlapping)
                        self.add(
                            "warning",
                            "IR420",
                            f"whenever it recommends '{iv}', a not-recommend rule ({names}) also fires, "
                            "so its recommendation never shows",
                            self.place_of_rule(pro),
                            pro.id,
                        )
            self._never_shown(logic, iv, pros, cons, unreachable)

    def _overlaps(self, logic: Logic, iv: str, pro: Rule, cons: Iterable[Rule]) -> list[Rule]:
        found = []
        for con in cons:
            answer = logic.example([pro, con])
            if answer.assessment is not None:
                found.append(con)
                self.add(
                    "info",
                    "IR421",
                    f"recommends '{iv}' where {con.id} does not recommend it; not-recommend wins where "
                    "both hold, as in the example",
                    self.place_of_rule(pro),
                    pro.id,
                    answer.assessment,
                )
            elif answer == UNDECIDED:
                self.add(
                    "info",
                    "IR423",
                    f"could not decide whether it and {con.id} (not-recommend '{iv}') can fire together",
                    self.place_of_rule(pro),
                    pro.id,
                )
        return found

    def _never_shown(
        self, logic: Logic, iv: str, pros: list[Rule], cons: list[Rule], unreachable: set[str | None]
    ) -> None:
        """Cautions, prompts and adjustments only show on a recommended intervention."""
        kinds = (Caution, Collaborate, Adjust)
        for rule in self.live:
            if rule.id in unreachable:
                continue
            if not any(isinstance(a, kinds) and a.intervention == iv for a in rule.then):
                continue
            if any(r.id == rule.id for r in cons):
                continue
            answer = logic.example([rule], silent=cons, some=pros) if pros else NEVER
            if answer == NEVER:
                self.add(
                    "warning",
                    "IR422",
                    f"its caution, prompt or adjustment for '{iv}' never shows: whenever it fires, '{iv}' "
                    "is not recommended",
                    self.place_of_rule(rule),
                    rule.id,
                )
