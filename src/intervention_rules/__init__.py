"""Rule-based clinical decision support: an assessment in, ranked and explained interventions out.

Decision support for qualified professionals; it never replaces clinical judgement.
"""

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

from ._lazy import exports

if TYPE_CHECKING:
    from .decision import Decision, Explanation, NotRecommended, Outline, Recommendation
    from .errors import (
        AssessmentError,
        AssessmentProblem,
        EngineError,
        InterventionRulesError,
        MissingExtraError,
        Problem,
        RuleSetError,
        UnknownInterventionError,
    )
    from .loading import load_ruleset, load_ruleset_from_texts
    from .ruleset import InterventionExplanation, RuleOutcome, RuleSet

# Each name is imported on first use: importing the package (as the pytest plugin does in every
# test session of a project that has it installed) loads neither the engine nor the validators.
__getattr__ = exports(
    __name__,
    {
        "AssessmentError": ".errors",
        "AssessmentProblem": ".errors",
        "Decision": ".decision",
        "EngineError": ".errors",
        "Explanation": ".decision",
        "InterventionExplanation": ".ruleset",
        "InterventionRulesError": ".errors",
        "MissingExtraError": ".errors",
        "NotRecommended": ".decision",
        "Outline": ".decision",
        "Problem": ".errors",
        "Recommendation": ".decision",
        "RuleOutcome": ".ruleset",
        "RuleSet": ".ruleset",
        "RuleSetError": ".errors",
        "UnknownInterventionError": ".errors",
        "load_ruleset": ".loading",
        "load_ruleset_from_texts": ".loading",
    },
)

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
    "MissingExtraError",
    "NotRecommended",
    "Outline",
    "Problem",
    "Recommendation",
    "RuleOutcome",
    "RuleSet",
    "RuleSetError",
    "UnknownInterventionError",
    "__version__",
    "load_ruleset",
    "load_ruleset_from_texts",
]
