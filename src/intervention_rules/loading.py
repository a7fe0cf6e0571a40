"""Rule files on disk to a :class:`RuleSet`: read, parse, check, compile.

Every problem in every file is collected before anything is raised. A rule set that fails to
load raises :class:`RuleSetError` and is never evaluated.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path, PurePosixPath

import attrs

from ._compile import compile_plan
from ._schema import schema_problems
from ._validate import build_definition
from ._yaml import Located, load_located
from .errors import Problem, RuleSetError
from .ruleset import RuleSet

__all__ = ["bundled_rules_path", "digest_files", "load_ruleset", "load_ruleset_from_texts", "rule_files"]

_SUFFIXES = (".yaml", ".yml")


def bundled_rules_path() -> Path:
    """Where the default rule set lives: inside the installed package, or the source tree."""
    packaged = Path(str(resources.files("intervention_rules"))) / "rules"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "rules"


def rule_files(root: Path) -> list[tuple[Path, str]]:
    """The rule files under a path, with their names relative to the rule set, in sorted order."""
    if root.is_file():
        return [(root, root.name)]
    found = sorted(
        p
        for p in root.rglob("*")
        if p.suffix in _SUFFIXES
        and p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )
    return [(p, p.relative_to(root).as_posix()) for p in found]


def digest_files(files: list[tuple[str, bytes]]) -> str:
    """``sha256:<hex>`` over each file's path relative to the rule set and its bytes."""
    h = hashlib.sha256()
    for rel, content in files:
        encoded = rel.encode("utf-8")
        h.update(len(encoded).to_bytes(8, "big") + encoded)
        h.update(len(content).to_bytes(8, "big") + content)
    return f"sha256:{h.hexdigest()}"


def load_ruleset(
    path: str | os.PathLike[str] | None = None, *, expected_digest: str | None = None
) -> RuleSet:
    """Load, validate and compile a rule set: a directory of YAML files, or one file.

    With no path, the bundled default rule set. With ``expected_digest``, a rule set whose
    content differs from the approved one is refused.
    """
    root = bundled_rules_path() if path is None else Path(path)
    if not root.exists():
        raise RuleSetError([Problem(f"no rule set at {root}", file=str(root), code="IR101")])
    files = rule_files(root)
    if not files:
        raise RuleSetError([Problem(f"no .yaml or .yml files under {root}", file=str(root), code="IR102")])
    problems: list[Problem] = []
    entries: list[tuple[str, str, bytes]] = []
    for file, relative in files:
        try:
            entries.append((str(file), relative, file.read_bytes()))
        except OSError as error:
            problems.append(Problem(f"cannot read the file: {error.strerror}", file=str(file), code="IR103"))
    return _from_contents(entries, str(root), expected_digest, problems)


def load_ruleset_from_texts(
    files: Mapping[str, str | bytes], *, expected_digest: str | None = None
) -> RuleSet:
    """Load, validate and compile a rule set given as its files' content, by name.

    ``{"rules.yaml": "..."}``: each name is the file's path relative to the rule set (it names
    the file in problems and in decisions), each content text or UTF-8 bytes. The files are read
    in the order a directory holding them would be, so the digest is the one that directory
    would have. Everything else is as [`load_ruleset`][intervention_rules.load_ruleset].
    """
    if not files:
        raise RuleSetError([Problem("no rule files given", file="<rule set>", code="IR102")])
    names = sorted(files, key=lambda name: PurePosixPath(name).parts)
    entries = [
        (name, name, content.encode("utf-8") if isinstance(content, str) else content)
        for name, content in ((name, files[name]) for name in names)
    ]
    return _from_contents(entries, "<rule set>", expected_digest, [])


def _document(name: str, relative: str, content: bytes, problems: list[Problem]) -> Located | None:
    """One rule file's located document, or None after recording why it cannot be used."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as error:
        message = f"the file is not UTF-8 text: {error.reason}"
        problems.append(Problem(message, file=name, line=1, column=1, code="IR104"))
        return None
    doc, found = load_located(name, text, relative)
    problems.extend(found)
    if doc is None:
        return None
    unreadable = {p.path for p in found}  # already reported; the schema would only repeat it
    structural = [p for p in schema_problems(doc) if p.path not in unreadable]
    problems.extend(structural)
    return doc if not structural and not found else None


def _from_contents(
    entries: Sequence[tuple[str, str, bytes]],
    where: str,
    expected_digest: str | None,
    problems: list[Problem],
) -> RuleSet:
    """The rule set of these files: (name for problems, name relative to the rule set, content),
    after the problems already found in reading them."""
    docs = [
        doc for name, relative, content in entries if (doc := _document(name, relative, content, problems))
    ]
    if problems:
        raise RuleSetError(problems)
    digest = digest_files([(relative, content) for _, relative, content in entries])
    if expected_digest is not None and digest != expected_digest:
        message = (
            f"the rule set's digest is {digest}, not the approved {expected_digest}; "
            "it differs from the approved version and will not be used"
        )
        raise RuleSetError([Problem(message, file=where, code="IR130")])
    definition, problems = build_definition(docs)
    if definition is None:
        raise RuleSetError(problems)
    plan, problems = compile_plan(definition.rules, definition.features)
    if plan is None:
        display = {relative: name for name, relative, _ in entries}
        raise RuleSetError(attrs.evolve(p, file=display.get(p.file, p.file)) for p in problems)
    return RuleSet(definition, plan, digest, tuple(relative for _, relative, _ in entries))
