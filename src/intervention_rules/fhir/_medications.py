"""FHIR MedicationRequest to the rule set's ``medications`` vocabulary, through a data file.

The map (``medication-codes.yaml`` beside this module, or a file of the same shape) lists, for
each medicine the rule set names, the vocabulary value it becomes, the other names it may be
written as (salts, forms, brands) and its RxNorm and SNOMED CT codes. Every code cites where it
was confirmed; a code marked ``confirmed: false`` is kept for review but never used to match.
An order matches by code first, then by the words of its text or displays (the longest name found
wins, so "lithium carbonate" is not read as some other medicine).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import attrs
import yaml

from ..errors import InterventionRulesError

__all__ = [
    "RXNORM",
    "SNOMED",
    "MedicationCode",
    "MedicationCodes",
    "MedicationCodesError",
    "MedicineEntry",
    "load_medication_codes",
]

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SNOMED = "http://snomed.info/sct"
_SYSTEMS = {"rxnorm": RXNORM, "snomed": SNOMED}
_WORDS = re.compile(r"[^a-z0-9]+")


class MedicationCodesError(InterventionRulesError, ValueError):
    """The medication code map is not valid (names the entry and field at fault)."""


@attrs.frozen
class MedicationCode:
    system: str
    code: str
    display: str
    source: str  # where the code was confirmed
    confirmed: bool = True


@attrs.frozen
class MedicineEntry:
    value: str  # the rule set's medications vocabulary value
    names: tuple[str, ...]  # every text form, the value first
    codes: tuple[MedicationCode, ...]


def _words(text: str) -> str:
    return " ".join(_WORDS.split(text.lower())).strip()


def _concepts(request: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """The request's medication concepts: medicationCodeableConcept, or a contained Medication's code."""
    concept = request.get("medicationCodeableConcept")
    if isinstance(concept, Mapping):
        yield concept
    reference = (request.get("medicationReference") or {}).get("reference")
    if isinstance(reference, str) and reference.startswith("#"):
        for resource in request.get("contained") or []:
            if (
                isinstance(resource, Mapping)
                and resource.get("resourceType") == "Medication"
                and resource.get("id") == reference[1:]
                and isinstance(resource.get("code"), Mapping)
            ):
                yield resource["code"]


class MedicationCodes:
    """The medication code map: ``match`` a MedicationRequest to a vocabulary value."""

    def __init__(self, entries: tuple[MedicineEntry, ...], source: str) -> None:
        self.entries = entries
        self.source = source
        self._by_code = {(c.system, c.code): e.value for e in entries for c in e.codes if c.confirmed}
        names = {_words(n): e.value for e in entries for n in e.names}
        self._names = sorted(names.items(), key=lambda item: (-len(item[0]), item[0]))

    def __repr__(self) -> str:
        return f"<MedicationCodes {len(self.entries)} medicines from {self.source}>"

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(e.value for e in self.entries)

    def match_code(self, system: str, code: str) -> str | None:
        return self._by_code.get((system, code))

    def match_text(self, text: str) -> str | None:
        """The value of the longest known name found, as whole words, in a text."""
        padded = f" {_words(text)} "
        for name, value in self._names:
            if f" {name} " in padded:
                return value
        return None

    def match(self, medication_request: Mapping[str, Any]) -> str | None:
        """The vocabulary value of the medicine a FHIR MedicationRequest orders, or None when the
        map does not know it. Codes (RxNorm, SNOMED CT) win over text; then the concept's text
        and the codings' displays are read."""
        if not isinstance(medication_request, Mapping) or (
            medication_request.get("resourceType") != "MedicationRequest"
        ):
            raise ValueError("expected a FHIR MedicationRequest (a JSON object)")
        concepts = list(_concepts(medication_request))
        texts: list[str] = []
        for concept in concepts:
            for coding in concept.get("coding") or []:
                if not isinstance(coding, Mapping):
                    continue
                system, code = coding.get("system"), coding.get("code")
                if isinstance(system, str) and isinstance(code, str):
                    value = self.match_code(system, code)
                    if value is not None:
                        return value
                if isinstance(coding.get("display"), str):
                    texts.append(coding["display"])
            if isinstance(concept.get("text"), str):
                texts.insert(0, concept["text"])
        for text in texts:
            value = self.match_text(text)
            if value is not None:
                return value
        return None


def _fail(where: str, message: str) -> MedicationCodesError:
    return MedicationCodesError(f"{where}: {message}")


def _entry(index: int, raw: Any) -> MedicineEntry:
    where = f"medicines[{index}]"
    if not isinstance(raw, Mapping):
        raise _fail(where, "expected a mapping with value, names and codes")
    unknown = set(raw) - {"value", "names", "codes"}
    if unknown:
        raise _fail(where, f"unknown keys: {', '.join(sorted(map(str, unknown)))}")
    value = raw.get("value")
    if not isinstance(value, str) or _words(value) != value:
        raise _fail(f"{where}.value", "expected a lower-case generic name")
    names = raw.get("names") or []
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise _fail(f"{where}.names", "expected a list of names")
    codes = []
    for j, code in enumerate(raw.get("codes") or []):
        at = f"{where}.codes[{j}]"
        if not isinstance(code, Mapping) or set(code) - {"system", "code", "display", "source", "confirmed"}:
            raise _fail(at, "expected system, code, display, source and optionally confirmed")
        system = _SYSTEMS.get(str(code.get("system")))
        if system is None:
            raise _fail(f"{at}.system", f"expected one of: {', '.join(_SYSTEMS)}")
        for key in ("code", "display", "source"):
            if not isinstance(code.get(key), str) or not code[key]:
                raise _fail(f"{at}.{key}", "expected a non-empty string")
        confirmed = code.get("confirmed", True)
        if not isinstance(confirmed, bool):
            raise _fail(f"{at}.confirmed", "expected true or false")
        codes.append(MedicationCode(system, code["code"], code["display"], code["source"], confirmed))
    return MedicineEntry(value, tuple(dict.fromkeys([value, *names])), tuple(codes))


def load_medication_codes(path: str | Path | None = None) -> MedicationCodes:
    """The medication code map: the bundled one, or a YAML file of the same shape."""
    if path is None:
        text = resources.files(__package__).joinpath("medication-codes.yaml").read_text(encoding="utf-8")
        source = "medication-codes.yaml (bundled)"
    else:
        source = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as error:
            raise _fail(source, f"cannot read it: {error.strerror or error}") from error
        except UnicodeDecodeError as error:
            raise _fail(source, "cannot read it: not UTF-8 text") from error
    try:
        document = yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark is not None else source
        raise _fail(where, f"not valid YAML: {error.problem}") from error
    except yaml.YAMLError as error:
        raise _fail(source, "not valid YAML") from error
    if not isinstance(document, Mapping) or not isinstance(document.get("medicines"), list):
        raise _fail(source, "expected a mapping with a 'medicines' list")
    try:
        entries = tuple(_entry(i, raw) for i, raw in enumerate(document["medicines"]))
    except MedicationCodesError as error:
        raise _fail(source, str(error)) from None
    seen: dict[str, str] = {}
    for entry in entries:
        for name in entry.names:
            key = _words(name)
            if key in seen and seen[key] != entry.value:
                raise _fail(source, f"the name '{name}' belongs to both {seen[key]} and {entry.value}")
            seen[key] = entry.value
    codes = [(c.system, c.code) for e in entries for c in e.codes]
    twice = sorted({f"{s}|{c}" for s, c in codes if codes.count((s, c)) > 1})
    if twice:
        raise _fail(source, f"codes listed more than once: {', '.join(twice)}")
    return MedicationCodes(entries, source)
