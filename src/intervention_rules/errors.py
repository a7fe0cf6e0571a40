"""The exceptions the library raises.

One root, :class:`InterventionRulesError`, with a load-time branch (:class:`RuleSetError`, for rule
files) and a run-time branch (:class:`AssessmentError`, for assessments). Both carry every problem
found as data (:class:`Problem`), so callers never parse messages.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

import attrs

from ._codes import slug_of
from ._suggest import did_you_mean

__all__ = [
    "AssessmentError",
    "AssessmentProblem",
    "EngineError",
    "InterventionRulesError",
    "MissingExtraError",
    "Problem",
    "RuleSetError",
    "UnknownInterventionError",
]


PathParts = tuple[str | int, ...]

#: Characters a terminal acts on rather than shows: C0 and C1 controls (a newline, an escape
#: sequence) and the invisible bidirectional overrides, which reorder what a reader sees.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` with every character a terminal would act on written as an escape (``\\x1b``)."""
    if text.isprintable():
        return text
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


@attrs.frozen
class Problem:
    """One problem in a rule file, with where it is and what was probably meant.

    ``code`` is the problem's stable code (``IR211``; see docs/errors.md), ``path`` the place
    inside the document as text (``rules[3].when``) and ``parts`` the same place as a tuple
    (``("rules", 3, "when")``).
    """

    message: str
    file: str = ""
    line: int = 0
    column: int = 0
    path: str = ""
    rule: str | None = None
    suggestion: str | None = None
    code: str = ""
    parts: PathParts = ()

    @property
    def slug(self) -> str:
        """The code's short name (``unknown-feature``)."""
        return slug_of(self.code)

    def __str__(self) -> str:
        if not self.file:
            where = "<rule set>"
        elif self.line:
            where = f"{self.file}:{self.line}:{self.column}"
        else:
            where = self.file
        text = self.message
        text += did_you_mean(self.suggestion)
        if self.path:
            text += f" (at {self.path})"
        if self.code:
            text += f" [{self.code}]"
        return printable(f"{where}: {text}")


@attrs.frozen
class AssessmentProblem:
    """One problem in an assessment, naming the field it concerns.

    ``field`` is the place as text (``reasons[1]``), ``parts`` the same place as a tuple
    (``("reasons", 1)``) and ``code`` the problem's stable code (``IR3xx``; see docs/errors.md).

    The message says what kind of problem it is, never the value the assessment held (it is
    patient data), and ``value`` is ``None``, unless values were asked for with
    [`AssessmentError.values`][intervention_rules.AssessmentError.values]; even then ``repr``
    leaves the value out.
    """

    field: str
    message: str
    value: object = attrs.field(default=None, repr=False)
    suggestion: str | None = None
    code: str = ""
    parts: PathParts = ()

    @property
    def slug(self) -> str:
        """The code's short name (``required``)."""
        return slug_of(self.code)

    def __str__(self) -> str:
        text = f"{self.field}: {self.message}" if self.field else self.message
        text += did_you_mean(self.suggestion)
        if self.code:
            text += f" [{self.code}]"
        return text


class InterventionRulesError(Exception):
    """The root of every error this library raises on purpose."""


class MissingExtraError(InterventionRulesError, ImportError):
    """An optional part of the library was used without the extra that installs what it needs."""

    def __init__(self, extra: str, module: str) -> None:
        self.extra = extra
        self.module = module
        super().__init__(
            f"this needs the '{extra}' extra ({module} is not installed): "
            f"pip install 'intervention-rules[{extra}]'"
        )


class RuleSetError(InterventionRulesError):
    """A rule set could not be loaded: every problem found, in file order.

    A rule set that raised this is never evaluated.
    """

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(
            sorted(problems, key=lambda p: (p.file, p.line, p.column, p.message))
        )
        count = len(self.problems)
        lines = "\n".join(str(p) for p in self.problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in the rule set:\n{lines}")


class EngineError(InterventionRulesError, RuntimeError):
    """The rule engine refused something the compiler handed it: a bug in this library, never an
    input problem. Please report it."""


class UnknownInterventionError(InterventionRulesError, ValueError):
    """An intervention id that the rule set's catalogue does not have."""


#: At most this many problems are listed in an AssessmentError's message (all are in ``problems``).
MAX_LISTED_PROBLEMS = 50


class AssessmentError(InterventionRulesError):
    """An assessment is invalid: every problem found, each naming its field.

    Neither the message nor the problems hold the values the assessment held: they name the
    field and the kind of problem. A caller that needs the values (a developer at a terminal,
    never a log) asks for them with [`values`][intervention_rules.AssessmentError.values],
    passing the assessment again.
    """

    def __init__(
        self,
        problems: Iterable[AssessmentProblem],
        *,
        recheck: Callable[[object], tuple[AssessmentProblem, ...]] | None = None,
    ) -> None:
        self.problems: tuple[AssessmentProblem, ...] = tuple(problems)
        self._recheck = recheck
        count = len(self.problems)
        listed = [f"  {p}" for p in self.problems[:MAX_LISTED_PROBLEMS]]
        if count > MAX_LISTED_PROBLEMS:
            listed.append(f"  ... and {count - MAX_LISTED_PROBLEMS} more")
        lines = "\n".join(listed)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in the assessment:\n{lines}")

    def values(self, assessment: object) -> tuple[AssessmentProblem, ...]:
        """Opt in to values: the problems of ``assessment`` (the one that raised this error) with
        each offending value in ``value`` and quoted, shortened, in the message.

        The error itself keeps no value, so the caller passes the assessment back. The result
        holds patient data: show it to the person who entered it, never write it to a log.
        """
        if self._recheck is None:
            return self.problems
        return self._recheck(assessment)

    def __reduce__(self) -> tuple[type[AssessmentError], tuple[tuple[AssessmentProblem, ...]]]:
        # Crosses process boundaries with its problems (the values check stays behind).
        return (AssessmentError, (self.problems,))
