"""Clinical governance: lint findings, the reviewer's rule book, semantic diffs with their impact on
decisions, and the manifest that records which rule-set version was approved.

These tools sit beside the core library and use only its public behaviour; the core never
depends on them. The rule book and the HTML diff need Jinja2 (``intervention-rules[governance]``).
"""

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
from ._scenarios import NamedAssessment, generate, read_assessments, rule_examples
from .lint import EXIT_STATUS, Finding, LintResult, lint, lint_ruleset
from .report import ReportError, rule_book

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
