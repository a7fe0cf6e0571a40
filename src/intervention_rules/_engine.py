"""The only module that talks to durable_rules.

It takes ruleset definitions that the compiler has already shaped to stay inside the engine's
limits, and answers one question: which named rules match this fact? It follows what was measured
of durable_rules 2.0.28: the C extension is called directly (no ``Host``, so no timer threads),
facts rather than events (every matching rule fires), and an always-matching sentinel rule so that
every state has run an action, which makes deleting it safe.

Each engine ruleset keeps one session whose fact is asserted, fired and retracted again per call,
under the engine's lock: a new session per call costs the engine about 100 KB plus 11 KB per rule
to set up and delete, twice the time of the matching itself. Whatever interrupts a call (an engine
error, ``KeyboardInterrupt``) retires that session, deleting its state, and the next call starts a
fresh one, so no half-fired fact is ever seen again.
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


def _release(handles: list[int], sessions: list[str], ran: list[bool]) -> None:
    """Delete each ruleset's session state (where an action ran in it, so that it is safe), then
    the ruleset: the engine frees a ruleset only once its states are gone."""
    for handle, sid, used in zip(handles, sessions, ran, strict=False):
        # Best effort, possibly at interpreter exit: there is nobody to report a failure to.
        with contextlib.suppress(Exception):
            if used:
                _dre.delete_state(handle, sid)
            _dre.delete_ruleset(handle)


class Engine:
    """A group of durable_rules rulesets, created once and queried many times."""

    def __init__(self, definitions: Sequence[str]) -> None:
        self._handles: list[int] = []
        self._sessions: list[str] = []  # each ruleset's session id
        self._ran: list[bool] = []  # whether an action has run in that session's state
        self._lock = threading.Lock()
        try:
            for definition in definitions:
                name = f"intervention_rules_{next(_names)}"
                self._handles.append(_dre.create_ruleset(name, definition))
                self._sessions.append(str(next(_sids)))
                self._ran.append(False)
        except _dre.error as error:
            _release(self._handles, self._sessions, self._ran)
            raise EngineError(f"durable_rules refused a compiled ruleset: {error}") from error
        self._finalizer = weakref.finalize(self, _release, self._handles, self._sessions, self._ran)

    def __len__(self) -> int:
        return len(self._handles)

    def fire(self, index: int, body: str) -> list[str]:
        """The names of the rules of ruleset ``index`` that match a fact.

        ``body`` is the fact's JSON members without braces, e.g. ``"k1":true,"k2":15``.
        """
        handle = self._handles[index]
        fired: list[str] = []
        with self._lock:
            sid = self._sessions[index]
            fact = f'{{"sid":"{sid}","id":"f","{GUARD}":1{"," if body else ""}{body}}}'
            try:
                code, state = _dre.assert_fact(handle, fact)
            except _dre.error as error:
                self._retire(index)
                raise EngineError(f"durable_rules refused a fact: {error}") from error
            except BaseException:
                self._retire(index)
                raise
            if code != 0:
                self._retire(index)
                raise EngineError(f"durable_rules answered {code} to a fact")
            try:
                result = _dre.start_action_for_state(handle, state)
                following = result[1] if result else None
                self._ran[index] = True  # the sentinel's action, at least, has started
                while following:
                    # ``_action_name`` inlined for the compiler's names (this loop runs once per
                    # rule fired, the hottest in evaluation); anything else is parsed in full.
                    end = following.find('":', 2)
                    name = following[2:end] if following[1] == '"' and end > 2 else _action_name(following)
                    if name != SENTINEL:
                        fired.append(name)
                    following = _dre.complete_and_start_action(handle, state)
                _dre.retract_fact(handle, fact)
            except _dre.error as error:
                self._retire(index)
                raise EngineError(f"durable_rules failed while firing: {error}") from error
            except BaseException:
                self._retire(index)
                raise
        return fired

    def _retire(self, index: int) -> None:
        """Give ruleset ``index`` a fresh session for the next call. The old one's state is
        deleted when an action has run in it (deleting a state that never ran one crashes the
        engine); otherwise it is left, holding one fact, never used again."""
        sid, ran = self._sessions[index], self._ran[index]
        # The new session is in place before the old state goes, so that a second interrupt
        # here can never leave the new session marked as having run an action.
        self._sessions[index] = str(next(_sids))
        self._ran[index] = False
        if ran:
            with contextlib.suppress(_dre.error):
                _dre.delete_state(self._handles[index], sid)

    def close(self) -> None:
        """Free the engine's rulesets now rather than at garbage collection."""
        self._finalizer()
