"""Rule-based clinical decision support: an assessment in, ranked and explained interventions out.

Decision support for qualified professionals; it never replaces clinical judgement.
"""

from importlib.metadata import PackageNotFoundError, version

from .decision import Decision, Explanation, NotRecommended, Recommendation
from .errors import (
    AssessmentError,
    AssessmentProblem,
    EngineError,
    InterventionRulesError,
    Problem,
    RuleSetError,
    UnknownInterventionError,
)
from .loading import load_ruleset
from .ruleset import InterventionExplanation, RuleOutcome, RuleSet

try:
    __version__ = version("intervention-rules")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "AssessmentError",
    "AssessmentProblem",
    "Decision",
    "EngineError",
    "Explanation",
    "InterventionExplanation",
    "InterventionRulesError",
    "NotRecommended",
    "Problem",
    "Recommendation",
    "RuleOutcome",
    "RuleSet",
    "RuleSetError",
    "UnknownInterventionError",
    "__version__",
    "load_ruleset",
]
