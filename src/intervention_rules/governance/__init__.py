"""Clinical governance: lint findings, the reviewer's rule book, semantic diffs with their impact on
decisions, and the manifest that records which rule-set version was approved.

These tools sit beside the core library and use only its public behaviour; the core never
depends on them.
"""

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
from .lint import EXIT_STATUS, Finding, LintResult, lint, lint_ruleset

__all__ = [
    "EXIT_STATUS",
    "MANIFEST_NAME",
    "Approval",
    "Finding",
    "LintResult",
    "Manifest",
    "ManifestError",
    "lint",
    "lint_ruleset",
    "load_approved",
    "manifest_path",
    "manifest_problems",
    "read_manifest",
    "write_manifest",
]
