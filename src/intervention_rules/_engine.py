"""The only module that talks to durable_rules.

It takes ruleset definitions that the compiler has already shaped to stay inside the engine's
limits, and answers one question: which named rules match this fact? It follows what was measured
of durable_rules 2.0.28: the C extension is called directly (no ``Host``, so no timer threads),
facts rather than events (every matching rule fires), one fresh session id per call whose state is
always deleted, and an always-matching sentinel rule so that deleting a state is always safe.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
import weakref
from collections.abc import Sequence

import durable_rules_engine as _dre

from .errors import EngineError

__all__ = ["GUARD", "SENTINEL", "Engine", "EngineError"]

#: The key every fact carries and every rule tests first.
GUARD = "ir_g"
#: The rule that matches every fact; its firings are dropped.
SENTINEL = "ir_sentinel"

_sids = itertools.count(1)
_names = itertools.count(1)


def _action_name(message: str) -> str:
    """The rule an engine action is for: the first key of ``{"c3":{"m":{...}}}``.

    An action is always for exactly one rule (durable's own host also reads only the first key).
    The rule names are the compiler's own (``c<i>`` and the sentinel), so the name ends at the
    next quote; anything else is parsed in full rather than guessed at.
    """
    if message.startswith('{"'):
        end = message.find('"', 2)
        if end > 2 and message.startswith('":', end):
            return message[2:end]
    name: str = next(iter(json.loads(message)))
    return name


def _release(handles: list[int]) -> None:
    for handle in handles:
        # Best effort, possibly at interpreter exit: there is nobody to report a failure to.
        with contextlib.suppress(Exception):
            _dre.delete_ruleset(handle)


class Engine:
    """A group of durable_rules rulesets, created once and queried many times."""

    def __init__(self, definitions: Sequence[str]) -> None:
        self._handles: list[int] = []
        self._lock = threading.Lock()
        try:
            for definition in definitions:
                name = f"intervention_rules_{next(_names)}"
                self._handles.append(_dre.create_ruleset(name, definition))
        except _dre.error as error:
            _release(self._handles)
            raise EngineError(f"durable_rules refused a compiled ruleset: {error}") from error
        self._finalizer = weakref.finalize(self, _release, self._handles)

    def __len__(self) -> int:
        return len(self._handles)

    def fire(self, index: int, body: str) -> list[str]:
        """The names of the rules of ruleset ``index`` that match a fact.

        ``body`` is the fact's JSON members without braces, e.g. ``"k1":true,"k2":15``.
        """
        handle = self._handles[index]
        sid = str(next(_sids))
        fact = f'{{"sid":"{sid}","id":"f","{GUARD}":1{"," if body else ""}{body}}}'
        fired: list[str] = []
        with self._lock:
            try:
                code, state = _dre.assert_fact(handle, fact)
            except _dre.error as error:
                # No action ran for this state, so deleting it is unsafe: leave it.
                raise EngineError(f"durable_rules refused a fact: {error}") from error
            if code != 0:
                raise EngineError(f"durable_rules answered {code} to a fact")
            try:
                result = _dre.start_action_for_state(handle, state)
                following = result[1] if result else None
                while following:
                    fired.append(_action_name(following))
                    following = _dre.complete_and_start_action(handle, state)
            except _dre.error as error:
                raise EngineError(f"durable_rules failed while firing: {error}") from error
            finally:
                # The sentinel rule matched, so an action ran and the state can be deleted.
                _dre.delete_state(handle, sid)
        return [name for name in fired if name != SENTINEL]

    def close(self) -> None:
        """Free the engine's rulesets now rather than at garbage collection."""
        self._finalizer()
