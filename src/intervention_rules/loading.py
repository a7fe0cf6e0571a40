"""Rule files on disk to a :class:`RuleSet`: read, parse, check, compile.

Every problem in every file is collected before anything is raised. A rule set that fails to
load raises :class:`RuleSetError` and is never evaluated.

What a rule directory may hold, walked in sorted order through its subdirectories:

- rule files, named ``*.yaml`` or ``*.yml`` (lower case), each a regular file or a link to one;
- subdirectories, or links to them (a link back to a directory that contains it is an error);
- entries whose names start with ``.`` (``.git``), which are skipped without being looked at;
- other regular files (``README.md``, a manifest), which are ignored.

Anything else fails closed, as a :class:`RuleSetError`, because a rule file that silently drops
out of a rule set changes its recommendations: a dangling link or a link loop (a rule file on an
unmounted path), a FIFO, socket or device, an entry that cannot be read (permission denied), a
file name that is not UTF-8, and a name ending in ``.yaml`` or ``.yml`` in another case
(``X.YAML``), which would otherwise be skipped. A rule file larger than ``max_file_bytes`` is
refused without being read further. Each directory and rule file is read once: one reached a
second time, through a link, fails closed (its rules would be read twice, and links that fan out
level after level would make the walk exponential), and so does a directory nested more than
``MAX_DIRECTORY_DEPTH`` levels deep.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path, PurePosixPath

import attrs

from ._compile import compile_plan
from ._schema import schema_problems
from ._validate import build_definition
from ._yaml import MAX_FILE_BYTES, Located, load_located, shorten_quotes
from .errors import Problem, RuleSetError
from .ruleset import RuleSet

__all__ = ["bundled_rules_path", "digest_files", "load_ruleset", "load_ruleset_from_texts", "rule_files"]

_SUFFIXES = (".yaml", ".yml")
_SURROGATE = re.compile("[\ud800-\udfff]")
#: Directories nested deeper than this under a rule set's root fail closed; a rule set needs a
#: few levels at most.
MAX_DIRECTORY_DEPTH = 32
Key = tuple[int, int | str]  # a directory's or file's device and inode (or its real path)


def _key(path: Path, info: os.stat_result) -> Key:
    """What identifies a directory or file however links reach it: its device and inode, or its
    real path on a filesystem that gives no inode numbers (0), where every entry would look the same."""
    if info.st_ino:
        return (info.st_dev, info.st_ino)
    return (info.st_dev, os.path.realpath(path))


def bundled_rules_path() -> Path:
    """Where the default rule set lives: inside the installed package, or the source tree."""
    packaged = Path(str(resources.files("intervention_rules"))) / "rules"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "rules"


def _unreadable(error: OSError, link: bool) -> tuple[str, str]:
    """The code and message for an entry that cannot be followed or read."""
    if link and error.errno == errno.ENOENT:
        return "IR118", "a symbolic link to nothing (dangling): its target does not exist"
    if error.errno == errno.ELOOP:
        return "IR119", "a symbolic link loop"
    return "IR103", f"cannot be read: {error.strerror or error}"


def _files(root: Path) -> tuple[list[tuple[Path, str]], list[Problem]]:
    """The rule files under a path, with their names relative to the rule set, in sorted order,
    and the problems of every entry that fails closed (see the module's docstring)."""
    try:
        mode = root.stat().st_mode
    except OSError as error:
        code, message = _unreadable(error, root.is_symlink())
        return [], [Problem(f"the rule set: {message}", file=str(root), code=code)]
    if not stat.S_ISDIR(mode):
        if not stat.S_ISREG(mode):
            message = "the rule set is not a regular file or a directory"
            return [], [Problem(message, file=str(root), code="IR128")]
        return [(root, root.name)], []
    top = _key(root, root.stat())
    walk = _Walk({top: "."})
    walk.directory(root, PurePosixPath(), frozenset({top}))
    return sorted(walk.found, key=lambda f: f[1]), walk.problems


def _name_problem(name: str, path: Path) -> Problem | None:
    """Why a directory entry's name is refused: not UTF-8, or a rule-file extension in another case."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return Problem("the file name is not UTF-8; rename it", file=str(path), code="IR131")
    if name.lower().endswith(_SUFFIXES) and not name.endswith(_SUFFIXES):
        message = (
            "rule files end in .yaml or .yml in lower case; rename this file, "
            "or move it out of the rule directory"
        )
        return Problem(message, file=str(path), code="IR129")
    return None


class _Walk:
    """The rule files under a directory, and every entry that fails closed (see the module's
    docstring), collected while walking it."""

    def __init__(self, seen: dict[Key, str]) -> None:
        self.found: list[tuple[Path, str]] = []
        self.problems: list[Problem] = []
        self.seen = seen  # each directory and rule file reached, and the name it was first reached by

    def directory(self, directory: Path, relative: PurePosixPath, ancestors: frozenset[Key]) -> None:
        """Walk ``directory``; ``ancestors`` are the directories around it, to catch loops."""
        try:
            with os.scandir(directory) as scan:
                entries = sorted(scan, key=lambda e: e.name)
        except OSError as error:
            code, message = _unreadable(error, False)
            self.problems.append(Problem(f"the directory {message}", file=str(directory), code=code))
            return
        for entry in entries:
            if not entry.name.startswith("."):
                self.entry(entry, relative, ancestors)

    def entry(self, entry: os.DirEntry[str], relative: PurePosixPath, ancestors: frozenset[Key]) -> None:
        path = Path(entry.path)
        refused = _name_problem(entry.name, path)
        if refused is not None:
            self.problems.append(refused)
            return
        try:
            info = os.stat(path)  # follows links
        except OSError as error:
            code, message = _unreadable(error, entry.is_symlink())
            self.problems.append(Problem(message, file=str(path), code=code))
            return
        key, name = _key(path, info), (relative / entry.name).as_posix()
        if stat.S_ISDIR(info.st_mode):
            if key in ancestors:
                message = "a link back to a directory that contains it (a loop)"
                self.problems.append(Problem(message, file=str(path), code="IR119"))
            elif len(relative.parts) >= MAX_DIRECTORY_DEPTH:
                message = f"directories nested more than {MAX_DIRECTORY_DEPTH} levels deep in the rule set"
                self.problems.append(Problem(message, file=str(path), code="IR133"))
            elif self.once(key, name, path, "directory"):
                self.directory(path, relative / entry.name, ancestors | {key})
        elif not stat.S_ISREG(info.st_mode):
            message = (
                "not a regular file or a directory (a FIFO, socket or device); "
                "a rule directory holds only files and directories"
            )
            self.problems.append(Problem(message, file=str(path), code="IR128"))
        elif entry.name.endswith(_SUFFIXES) and self.once(key, name, path, "file"):
            self.found.append((path, name))

    def once(self, key: Key, name: str, path: Path, kind: str) -> bool:
        """Whether this is the first time the walk reaches the directory or file ``key``."""
        first = self.seen.setdefault(key, name)
        if first == name:
            return True
        message = f"the same {kind} as {first}: links lead to it twice; a rule set reads each {kind} once"
        self.problems.append(Problem(message, file=str(path), code="IR132"))
        return False


def rule_files(root: Path) -> list[tuple[Path, str]]:
    """The rule files of a rule set (a directory or one file) with their names relative to it, in
    sorted order; :class:`RuleSetError` for every entry that fails closed."""
    files, problems = _files(root)
    if problems:
        raise RuleSetError(problems)
    return files


def _read(file: Path, limit: int) -> bytes:
    with open(file, "rb") as handle:
        content = handle.read(limit + 1)
    if len(content) > limit:
        raise _TooLarge
    return content


class _TooLarge(Exception):
    pass


def digest_files(files: list[tuple[str, bytes]]) -> str:
    """``sha256:<hex>`` over each file's path relative to the rule set and its bytes."""
    h = hashlib.sha256()
    for rel, content in files:
        encoded = rel.encode("utf-8")
        h.update(len(encoded).to_bytes(8, "big") + encoded)
        h.update(len(content).to_bytes(8, "big") + content)
    return f"sha256:{h.hexdigest()}"


def load_ruleset(
    path: str | os.PathLike[str] | None = None,
    *,
    expected_digest: str | None = None,
    max_file_bytes: int = MAX_FILE_BYTES,
) -> RuleSet:
    """Load, validate and compile a rule set: a directory of YAML files, or one file.

    With no path, the bundled default rule set. With ``expected_digest``, a rule set whose
    content differs from the approved one is refused. A rule file larger than
    ``max_file_bytes`` is refused without being read further. What a rule directory may hold,
    and what fails closed, is in this module's docstring and in docs/rule-language.md.
    """
    try:
        return _load(path, expected_digest, max_file_bytes)
    except RuleSetError as error:
        raise _shortened(error) from None


#: A problem's message longer than this has its quoted texts shortened (see ``shorten_quotes``).
MAX_MESSAGE = 200


def _shortened(error: RuleSetError) -> RuleSetError:
    """``error``, or the same problems with long quoted texts and numbers cut short."""
    if not any(len(p.message) > MAX_MESSAGE for p in error.problems):
        return error
    return RuleSetError(attrs.evolve(p, message=shorten_quotes(p.message)) for p in error.problems)


def _load(path: str | os.PathLike[str] | None, expected_digest: str | None, max_file_bytes: int) -> RuleSet:
    root = bundled_rules_path() if path is None else Path(path)
    if not root.exists() and not root.is_symlink():
        raise RuleSetError([Problem(f"no rule set at {root}", file=str(root), code="IR101")])
    files, problems = _files(root)
    if not files and not problems:
        raise RuleSetError([Problem(f"no .yaml or .yml files under {root}", file=str(root), code="IR102")])
    entries: list[tuple[str, str, bytes]] = []
    for file, relative in files:
        try:
            entries.append((str(file), relative, _read(file, max_file_bytes)))
        except _TooLarge:
            message = f"the file is larger than the limit of {max_file_bytes} bytes"
            problems.append(Problem(message, file=str(file), code="IR117"))
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
    for name, content in files.items():
        if not isinstance(name, str):
            raise TypeError(f"a file name is {type(name).__name__}, not str: {name!r}")
        if not isinstance(content, str | bytes):
            raise TypeError(f"the content of {name!r} is {type(content).__name__}, not str or bytes")
    unnamed = [  # a lone surrogate (from a file name that was not UTF-8) cannot be a name
        Problem("the file name is not UTF-8; rename it", file=ascii(name)[1:-1], code="IR131")
        for name in files
        if not name.isascii() and _SURROGATE.search(name)
    ]
    if unnamed:
        raise RuleSetError(unnamed)
    entries: list[tuple[str, str, bytes]] = []
    problems: list[Problem] = []
    for name in sorted(files, key=lambda name: PurePosixPath(name).parts):
        content = files[name]
        if isinstance(content, bytes):
            entries.append((name, name, content))
            continue
        try:
            entries.append((name, name, content.encode("utf-8")))
        except UnicodeEncodeError as error:  # a lone surrogate: text that UTF-8 cannot hold
            problems.append(_not_unicode(name, content, error.start))
    try:
        return _from_contents(entries, "<rule set>", expected_digest, problems)
    except RuleSetError as error:
        raise _shortened(error) from None


def _not_unicode(name: str, text: str, at: int) -> Problem:
    """The problem of a rule file given as text holding a lone surrogate at ``at``, located as a
    file's bytes that are not UTF-8 are (IR104)."""
    line = text.count("\n", 0, at) + 1
    column = at - text.rfind("\n", 0, at)
    message = f"the file is not UTF-8 text: a lone surrogate (U+{ord(text[at]):04X}) is not Unicode text"
    return Problem(message, file=name, line=line, column=column, code="IR104")


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
