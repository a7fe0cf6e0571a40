"""Population-scale evaluation on Dask: a bag of assessments to a bag of decision records.

Needs the ``dask`` extra (``pip install 'intervention-rules[dask]'``). The rule files travel with
the computation as bytes (a rule set is kilobytes), once per worker rather than once per task, so
workers need no shared file system; each worker process loads a rule set once, checks its digest,
and keeps it for every later task. Each record is ``{"decision": {...}}`` (exactly
[`Decision.to_dict`][intervention_rules.Decision.to_dict]) or, for an invalid assessment, ``{"error": {"kind":
"invalid_assessment", "problems": [...]}}`` as in [`Batch`][intervention_rules.scale.Batch]; one bad
assessment never stops the computation. Records keep the order of the assessments. With
``fields`` (``"summary"`` or dotted paths, as ``evaluate --batch --fields``), each decision is
that projection of the full one, built without the rest.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

try:
    import dask.bag as db
    from dask.delayed import delayed
except ImportError as error:
    raise ImportError("intervention_rules.dask needs Dask: pip install 'intervention-rules[dask]'") from error

from ..errors import Problem, RuleSetError
from ..loading import bundled_rules_path, digest_files, load_ruleset, load_ruleset_from_texts, rule_files
from ..ruleset import RuleSet
from ._batch import Fields, projection_of, result_record

__all__ = ["RuleFiles", "decide", "evaluate_bag", "map_decisions", "ruleset_for"]

#: Rule sets a worker keeps loaded at once (a governance diff needs two).
KEEP_LOADED = 4


@attrs.frozen
class RuleFiles:
    """A rule set's files as bytes, with the digest they must load to."""

    digest: str
    files: tuple[tuple[str, bytes], ...]  # (path relative to the rule set, content)

    @classmethod
    def read(cls, path: str | os.PathLike[str] | None = None) -> RuleFiles:
        """Read a rule set (the bundled one by default) and check that it loads here first, so that
        an invalid rule set raises [`RuleSetError`][intervention_rules.RuleSetError] before anything
        is computed."""
        root = bundled_rules_path() if path is None else Path(path)
        if not root.exists():
            raise RuleSetError([Problem(f"no rule set at {root}", file=str(root), code="IR101")])
        files = tuple((relative, file.read_bytes()) for file, relative in rule_files(root))
        digest = digest_files(list(files))
        load_ruleset(root, expected_digest=digest)
        return cls(digest, files)


_loaded: OrderedDict[str, RuleSet] = OrderedDict()
_loading = threading.Lock()
#: How many rule sets this process has loaded (tests check that a worker loads each once).
loads = 0


def ruleset_for(rules: RuleFiles) -> RuleSet:
    """The rule set for these files in this process: loaded on first use, then kept."""
    global loads
    with _loading:
        ruleset = _loaded.get(rules.digest)
        if ruleset is None:
            ruleset = load_ruleset_from_texts(dict(rules.files), expected_digest=rules.digest)
            loads += 1
            _loaded[rules.digest] = ruleset
            while len(_loaded) > KEEP_LOADED:
                _loaded.popitem(last=False)
        else:
            _loaded.move_to_end(rules.digest)
        return ruleset


def decide(
    assessments: Iterable[Mapping[str, Any]], rules: RuleFiles, fields: Fields = None
) -> list[dict[str, Any]]:
    """One record per assessment, in order (what each partition runs)."""
    ruleset = ruleset_for(rules)
    projection = projection_of(fields)
    return [result_record(ruleset, assessment, projection)[0] for assessment in assessments]


def _rule_files(rules: str | os.PathLike[str] | RuleFiles | None) -> RuleFiles:
    return rules if isinstance(rules, RuleFiles) else RuleFiles.read(rules)


def evaluate_bag(
    bag: db.Bag, rules: str | os.PathLike[str] | RuleFiles | None = None, *, fields: Fields = None
) -> db.Bag:
    """A bag of decision records for a bag of assessments (lazy: call ``.compute()``)."""
    projection = projection_of(fields)  # an unknown field fails here, before anything is computed
    files = _rule_files(rules)
    # One graph node holds the files: each worker receives them once, whatever the partitions.
    shipped = delayed(files, name=f"intervention-rules-{files.digest}", pure=True, traverse=False)
    return bag.map_partitions(decide, shipped, None if projection is None else projection.paths)


def map_decisions(
    assessments: Sequence[Mapping[str, Any]] | db.Bag,
    rules: str | os.PathLike[str] | RuleFiles | None = None,
    *,
    partitions: int | None = None,
    fields: Fields = None,
) -> list[dict[str, Any]]:
    """Decision records for many assessments, computed now on the current Dask scheduler (a
    ``distributed.Client`` if one is active), in the order given. Calling it once per rule set
    version gives the two sides of an impact analysis."""
    if isinstance(assessments, db.Bag):
        bag = assessments
    else:
        items = list(assessments)
        count = partitions or max(1, min(len(items) // 100, 1000))
        bag = db.from_sequence(items, npartitions=count) if items else db.from_sequence([], npartitions=1)
    records: list[dict[str, Any]] = evaluate_bag(bag, rules, fields=fields).compute()
    return records
