"""Clinical governance: lint findings, the reviewer's rule book, semantic diffs with their impact on
decisions, and the manifest that records which rule-set version was approved.

These tools sit beside the core library and use only its public behaviour; the core never
depends on them. The rule book and the HTML diff need Jinja2 (``intervention-rules[governance]``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import exports

if TYPE_CHECKING:
    from ._diff import (
        Change,
        FieldChange,
        Impact,
        RuleSetDiff,
        ScenarioImpact,
        diff_rulesets,
        impact,
        render_diff,
    )
    from ._lint import EXIT_STATUS, Finding, LintResult, lint, lint_ruleset
    from ._manifest import (
        MANIFEST_NAME,
        Approval,
        Manifest,
        ManifestError,
        load_approved,
        manifest_path,
        manifest_problems,
        read_manifest,
        write_manifest,
    )
    from ._report import ReportError, rule_book
    from ._scenarios import NamedAssessment, generate, read_assessments, rule_examples

__getattr__ = exports(
    __name__,
    {
        "Approval": "._manifest",
        "Change": "._diff",
        "EXIT_STATUS": "._lint",
        "FieldChange": "._diff",
        "Finding": "._lint",
        "Impact": "._diff",
        "LintResult": "._lint",
        "MANIFEST_NAME": "._manifest",
        "Manifest": "._manifest",
        "ManifestError": "._manifest",
        "NamedAssessment": "._scenarios",
        "ReportError": "._report",
        "RuleSetDiff": "._diff",
        "ScenarioImpact": "._diff",
        "diff_rulesets": "._diff",
        "generate": "._scenarios",
        "impact": "._diff",
        "lint": "._lint",
        "lint_ruleset": "._lint",
        "load_approved": "._manifest",
        "manifest_path": "._manifest",
        "manifest_problems": "._manifest",
        "read_assessments": "._scenarios",
        "read_manifest": "._manifest",
        "render_diff": "._diff",
        "rule_book": "._report",
        "rule_examples": "._scenarios",
        "write_manifest": "._manifest",
    },
)

__all__ = [
    "EXIT_STATUS",
    "MANIFEST_NAME",
    "Approval",
    "Change",
    "FieldChange",
    "Finding",
    "Impact",
    "LintResult",
    "Manifest",
    "ManifestError",
    "NamedAssessment",
    "ReportError",
    "RuleSetDiff",
    "ScenarioImpact",
    "diff_rulesets",
    "generate",
    "impact",
    "lint",
    "lint_ruleset",
    "load_approved",
    "manifest_path",
    "manifest_problems",
    "read_assessments",
    "read_manifest",
    "render_diff",
    "rule_book",
    "rule_examples",
    "write_manifest",
]
