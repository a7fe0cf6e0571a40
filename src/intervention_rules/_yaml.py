"""YAML text to a *located document*: plain data plus the line and column of every node.

pyyaml's safe loader builds the node graph; this module turns it into dicts, lists and scalars
while recording each node's mark, so that every later problem can point at a real line.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Iterator
from typing import Any

import attrs
import yaml

from .errors import Problem
from .model import Location

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_NODES",
    "Located",
    "Path",
    "format_path",
    "load_located",
    "shorten_quotes",
]

Path = tuple[str | int, ...]

#: A document with more nodes than this is refused: counted on the parser's events before any node
#: is built, and again while building, where aliases expand.
MAX_NODES = 200_000
#: A rule file larger than this (in bytes) is refused without being read further. The bundled
#: files are a few tens of kilobytes; a rule set of thousands of rules fits in one file this size.
MAX_FILE_BYTES = 4 * 1024 * 1024
#: Deeper documents are refused rather than risk exhausting the interpreter's stack.
MAX_DEPTH = 64
#: libyaml's parser when pyyaml was built with it (it keeps line and column marks), else pure Python.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_PLAIN_TAGS = frozenset({"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:omap"})
_STR = "tag:yaml.org,2002:str"
#: What no text in a rule file may hold: C0 and C1 control characters other than a tab or a line
#: break (only a double-quoted escape such as "\e" or "\0" can write them), which a terminal
#: would act on when a text is shown.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: The safe constructor's own functions for the plain scalar tags, called without its bookkeeping
#: (which only matters for collections reached through aliases).
_SCALARS: dict[str, Any] = {
    tag: yaml.SafeLoader.yaml_constructors[tag]
    for tag in (
        "tag:yaml.org,2002:null",
        "tag:yaml.org,2002:bool",
        "tag:yaml.org,2002:int",
        "tag:yaml.org,2002:float",
        "tag:yaml.org,2002:timestamp",
    )
}


#: A quoted text longer than this in a problem's message is shortened: a message says what is
#: wrong and where, and never carries a whole (possibly megabytes long) value.
MAX_QUOTED = 60
_QUOTED = re.compile(rf"'([^'\n]{{{MAX_QUOTED + 1},}})'")
#: A number written out in more digits than this is cut short too (YAML reads integers of up to
#: 4,300 digits, and the schema's messages write the number out unquoted).
_LONG_NUMBER = re.compile(rf"\d{{{MAX_QUOTED + 1},}}")


def shorten_quotes(message: str) -> str:
    """``message`` with every quoted text longer than ``MAX_QUOTED`` characters cut short, and
    every number of more digits."""

    def cut(match: re.Match[str]) -> str:
        text = match.group(1)
        return f"'{text[:40]}...' ({len(text)} characters)"

    def cut_number(match: re.Match[str]) -> str:
        digits = match.group(0)
        return f"{digits[:40]}... ({len(digits)} digits)"

    return _LONG_NUMBER.sub(cut_number, _QUOTED.sub(cut, message))


def format_path(path: Path) -> str:
    """``("rules", 3, "when")`` -> ``rules[3].when``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


@attrs.frozen
class Located:
    """A YAML document with the position of each of its nodes."""

    file: str  # as the user named it, for problems
    data: Any
    marks: dict[Path, tuple[int, int]]
    name: str = ""  # relative to the rule set, for locations inside decisions

    def where(self, path: Path) -> tuple[int, int]:
        """The (line, column) of the node at ``path``, or of its nearest located ancestor."""
        while path not in self.marks and path:
            path = path[:-1]
        return self.marks.get(path, (1, 1))

    def location(self, path: Path) -> Location:
        """Where the node at ``path`` was written, named relative to the rule set."""
        line, column = self.where(path)
        return Location(self.name, line, column, format_path(path), path)

    def problem(self, path: Path, code: str, message: str, *, suggestion: str | None = None) -> Problem:
        """A problem with the node at ``path``, located at it (or its nearest located ancestor)."""
        line, column = self.where(path)
        return Problem(
            message,
            file=self.file,
            line=line,
            column=column,
            path=format_path(path),
            code=code,
            parts=path,
            suggestion=suggestion,
        )


class _Builder:
    def __init__(self, file: str, loader: yaml.SafeLoader) -> None:
        self.file = file
        self.loader = loader
        self.marks: dict[Path, tuple[int, int]] = {}
        self.problems: list[Problem] = []
        self.count = 0

    def problem(self, node: yaml.Node, path: Path, code: str, message: str) -> None:
        mark = node.start_mark
        self.problems.append(
            Problem(
                message,
                file=self.file,
                line=mark.line + 1,
                column=mark.column + 1,
                path=format_path(path),
                code=code,
                parts=path,
            )
        )

    def build(self, node: yaml.Node, path: Path, active: set[int]) -> Any:
        """The plain data of a node. ``active`` holds the collections being built around it, so
        that an alias back to one of them is caught rather than followed forever."""
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooLarge(node)
        self.marks.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if len(path) > MAX_DEPTH:
            self.problem(node, path, "IR107", f"nested more than {MAX_DEPTH} levels deep")
            return None
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, path)
        if id(node) in active:
            self.problem(
                node, path, "IR109", "an alias refers to itself; recursive structures are not allowed"
            )
            return None
        if node.tag not in _PLAIN_TAGS:
            self.problem(
                node, path, "IR110", f"the tag {node.tag} is not allowed; rule files hold plain data"
            )
            return None
        active.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                try:
                    self.loader.flatten_mapping(node)  # YAML merge keys (<<)
                except yaml.YAMLError as error:
                    self.problem(node, path, "IR111", f"invalid merge: {getattr(error, 'problem', error)}")
                    return None
                result: dict[str, Any] = {}
                for key_node, value_node in node.value:
                    if not (isinstance(key_node, yaml.ScalarNode) and key_node.tag.endswith(":str")):
                        self.problem(
                            key_node,
                            path,
                            "IR112",
                            "mapping keys must be plain strings "
                            "(quote keys such as yes, no, on, off or numbers)",
                        )
                        continue
                    key = key_node.value
                    if key in result:
                        self.problem(key_node, (*path, key), "IR113", f"duplicate key '{key}'")
                        continue
                    result[key] = self.build(value_node, (*path, key), active)
                return result
            return [self.build(item, (*path, i), active) for i, item in enumerate(node.value)]
        finally:
            active.discard(id(node))

    def scalar(self, node: yaml.ScalarNode, path: Path) -> Any:
        tag = node.tag
        if tag == _STR:
            text: str = node.value  # what the safe constructor makes of a string
            control = None if text.isprintable() else _CONTROL.search(text)
            if control is not None:
                message = (
                    f"a control character (U+{ord(control.group()):04X}) in the text; "
                    "rule files hold printable text, tabs and line breaks"
                )
                self.problem(node, path, "IR134", message)
                return None
            return text
        constructor = _SCALARS.get(tag)
        try:
            if constructor is not None:
                value = constructor(self.loader, node)
            else:
                value = self.loader.construct_object(node, deep=True)
        except Exception as error:  # noqa: BLE001 - pyyaml's scalar constructors raise many kinds
            del error
            kind = tag.rsplit(":", 1)[-1]
            self.problem(node, path, "IR114", shorten_quotes(f"{node.value!r} is not a valid YAML {kind}"))
            return None
        if isinstance(value, datetime.datetime | datetime.date):
            return value.isoformat()
        if isinstance(value, bytes):
            self.problem(node, path, "IR115", "binary values are not allowed")
            return None
        if isinstance(value, float) and not math.isfinite(value):
            self.problem(node, path, "IR116", "'.nan' and '.inf' are not allowed in rule files")
            return None
        return value


class _TooLarge(Exception):
    def __init__(self, node: yaml.Node) -> None:
        self.node = node


def _documents(loader: yaml.SafeLoader) -> Iterator[yaml.Node]:
    while loader.check_node():
        node = loader.get_node()
        if node is not None:
            yield node


_NODE_EVENTS = (yaml.ScalarEvent, yaml.SequenceStartEvent, yaml.MappingStartEvent, yaml.AliasEvent)


def _too_many_nodes(text: str) -> tuple[int, int] | None:
    """Where a document passes ``MAX_NODES`` nodes, read as a stream of parser events (no node is
    kept), or None. A syntax error is left for the real parse to report, with its place."""
    parser = _Loader(text)
    try:
        count = 0
        while parser.check_event():
            event = parser.get_event()  # type: ignore[no-untyped-call]  # pyyaml's stubs leave it untyped
            if isinstance(event, _NODE_EVENTS):
                count += 1
                if count > MAX_NODES:
                    return (
                        (event.start_mark.line + 1, event.start_mark.column + 1)
                        if event.start_mark
                        else (1, 1)
                    )
    except yaml.YAMLError:
        return None
    finally:
        parser.dispose()
    return None


def load_located(file: str, text: str, name: str | None = None) -> tuple[Located | None, list[Problem]]:
    """Parse one YAML file. Returns the located document (None if unreadable) and its problems."""
    where = _too_many_nodes(text)
    if where is not None:
        message = f"the document has more than {MAX_NODES} nodes"
        return None, [Problem(message, file=file, line=where[0], column=where[1], code="IR108")]
    loader = _Loader(text)
    try:
        try:
            nodes = list(_documents(loader))
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            reason = " ".join(str(x) for x in (error.context, error.problem) if x)
            return None, [
                Problem(f"YAML syntax error: {reason}", file=file, line=line, column=column, code="IR105")
            ]
        except yaml.YAMLError as error:
            return None, [Problem(f"YAML error: {error}", file=file, line=1, column=1, code="IR105")]
        except RecursionError:
            return None, [
                Problem(
                    "the document is nested too deeply to read", file=file, line=1, column=1, code="IR107"
                )
            ]
        if len(nodes) != 1:
            count = len(nodes)
            message = "the file is empty" if count == 0 else f"expected one YAML document, found {count}"
            return None, [Problem(message, file=file, line=1, column=1, code="IR106")]
        builder = _Builder(file, loader)
        try:
            data = builder.build(nodes[0], (), set())
        except _TooLarge as error:
            mark = error.node.start_mark
            problem = Problem(
                f"the document expands to more than {MAX_NODES} nodes",
                file=file,
                line=mark.line + 1,
                column=mark.column + 1,
                code="IR108",
            )
            return None, [problem]
        return Located(file, data, builder.marks, name if name is not None else file), builder.problems
    finally:
        loader.dispose()
