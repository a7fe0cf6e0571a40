"""The registry of problem codes: one stable code for each kind of problem the library reports.

A code never changes meaning once released; a problem whose wording changes keeps its code. The
ranges:

- ``IR1xx`` reading a file and its structure (text, YAML, limits, the JSON Schema);
- ``IR2xx`` the meaning of a rule set (names, operands, duplicates, cycles, governance fields);
- ``IR3xx`` assessments;
- ``IR4xx`` governance findings (``lint``) and manifests;
- ``IR5xx`` scenario files;
- ``IR6xx`` FHIR and service mapping.

``docs/errors.md`` lists every code; a test renders the list from this registry and checks that
the page holds it, and that every code here is used in the source and every code used is here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

import attrs

__all__ = ["CODES", "RANGES", "Code", "markdown", "slug_of"]


@attrs.frozen
class Code:
    """One kind of problem: its stable code, a short name, and how to read and fix it."""

    code: str
    slug: str
    summary: str
    example: str
    fix: str


#: The ranges, by first digit, and what they hold.
RANGES: Mapping[str, str] = MappingProxyType(
    {
        "1": "Reading rule files: text, YAML, limits and structure",
        "2": "Rule-set meaning",
        "3": "Assessments",
        "4": "Governance findings and manifests",
        "5": "Scenario files",
        "6": "FHIR and service mapping",
    }
)

#: One code a line: ``CODE | name | what it is | an example message | how to fix it``. A new code
#: takes the next free number of its range; a code is never reused for another meaning.
_TABLE = """
IR101 | no-rule-set | the rules path does not exist | no rule set at rules/ | give the path of a directory of rule files, or of one rule file
IR102 | no-rule-files | the directory holds no rule files | no .yaml or .yml files under rules/ | rule files end in .yaml or .yml; hidden directories are not searched
IR103 | unreadable-file | a file or directory of the rule set cannot be read | cannot read the file: Permission denied | check that the file exists and is readable; a rule set that cannot be read whole is refused
IR104 | not-utf8 | a file is not UTF-8 text | the file is not UTF-8 text: invalid start byte | save the file as UTF-8
IR105 | yaml-syntax | the text is not valid YAML | YAML syntax error: while parsing a flow sequence expected ',' or ']' | fix the YAML at the line given (an unclosed bracket, a bad indent, a tab)
IR106 | document-count | a file holds no document or more than one | expected one YAML document, found 2 | keep exactly one YAML document per file (no '---' separators)
IR107 | too-deep | the document is nested too deeply | nested more than 64 levels deep | flatten the structure; rule files never need that depth
IR108 | too-large | the document has, or its aliases expand it to, more nodes than the limit | the document has more than 200000 nodes | split the rule set into several files; write content out instead of multiplying it with aliases
IR109 | recursive-alias | an alias refers to a node that contains it | an alias refers to itself; recursive structures are not allowed | remove the alias; rule files hold trees, not graphs
IR110 | tag-not-allowed | a YAML tag other than the plain ones | the tag tag:yaml.org,2002:python/object is not allowed; rule files hold plain data | remove the tag; write plain mappings, lists and scalars
IR111 | invalid-merge | a YAML merge key (<<) that cannot be merged | invalid merge: expected a mapping or list of mappings for merging | merge only mappings
IR112 | non-string-key | a mapping key that is not a plain string | mapping keys must be plain strings (quote keys such as yes, no, on, off or numbers) | quote the key
IR113 | duplicate-key | a key appears twice in one mapping | duplicate key 'when' | keep one of the two; YAML would silently keep the last
IR114 | invalid-scalar | a tagged or typed scalar that cannot be read | '2026-02-30' is not a valid YAML timestamp | write a valid value of that type, or quote it as text
IR115 | binary-value | a binary value | binary values are not allowed | rule files hold text, numbers, booleans and dates only
IR116 | non-finite-number | '.nan' or '.inf' in a rule file | '.nan' and '.inf' are not allowed in rule files | write a finite number
IR117 | file-too-large | a rule file larger than the size limit, refused without being read further | the file is larger than the limit of 4194304 bytes | split the rule set into several files, or raise load_ruleset(max_file_bytes=...)
IR118 | dangling-link | a symbolic link in the rule directory whose target does not exist | a symbolic link to nothing (dangling): its target does not exist | mount or restore the target, or remove the link; the rule set is refused until then
IR119 | link-loop | a symbolic link loop, or a link back to a directory that contains it | a symbolic link loop | remove the link
IR120 | unknown-field | a field the schema does not know | unknown field 'statuss'; did you mean 'status'? | correct the field name (see the rule-language reference)
IR121 | missing-field | a required field is missing | missing required field 'evidence' | add the field; an active rule also needs a reviewer
IR122 | not-allowed-value | a value outside the schema's list | 'actve' is not one of: draft, active, retired; did you mean 'active'? | use one of the listed values
IR123 | wrong-type | a value of the wrong kind | expected number, found a string | write a value of the expected kind; quote yes, no, on and off when they are text
IR124 | one-key-expected | a condition or action with several keys | expected exactly one key here, found 2: age, pattern | combine tests with 'all' or 'any'; write one action per list item
IR125 | invalid-id | a malformed rule or constraint id | 'dbt_rule' is not a valid id (upper-case letters, digits and hyphens) | write ids such as DBT-EMOTION-1
IR126 | invalid-name | a malformed name | 'Family Therapy' is not a valid name (lower-case letters, digits and underscores) | write names such as family_therapy
IR127 | schema-violation | any other breach of the JSON Schema | [] should be non-empty | read the message against the schema; it names the rule broken
IR128 | not-a-regular-file | a FIFO, socket or device in the rule directory | not a regular file or a directory (a FIFO, socket or device); ... | a rule directory holds only files and directories: move it elsewhere
IR129 | extension-case | a file named like a rule file but with the extension in another case | rule files end in .yaml or .yml in lower case; rename this file, ... | rename it to .yaml or .yml, or move it out of the rule directory
IR130 | digest-mismatch | the rule files differ from the approved version | the rule set's digest is sha256:..., not the approved sha256:...; it differs from ... | load the approved files, or have the new version reviewed and approved
IR131 | file-name-not-utf8 | a file name in the rule directory that is not UTF-8 | the file name is not UTF-8; rename it | rename the file
IR132 | reached-twice | a directory or rule file that the rule directory reaches a second time, through a link | the same file as rules.yaml: links lead to it twice; a rule set reads each file once | link each directory and rule file once; the rule set would read it twice
IR133 | directories-too-deep | directories nested more than 32 levels deep in the rule directory | directories nested more than 32 levels deep in the rule set | flatten the directory tree
IR134 | control-character | a text in a rule file that holds a control character (an escape, a NUL) | a control character (U+001B) in the text; rule files hold printable text, tabs and line breaks | remove it; write the text as it should be shown

IR201 | misplaced-bounds | 'minimum' or 'maximum' on a feature that is not a number | 'minimum' and 'maximum' apply only to numbers, not to string | remove the bounds, or make the feature a number
IR202 | misplaced-values | 'values' or 'pattern' on a feature that is not text | 'values' and 'pattern' apply only to string and list, not to integer | remove them, or make the feature a string or a list
IR203 | values-and-pattern | a feature gives both 'values' and 'pattern' | give either 'values' or 'pattern', not both | keep one
IR204 | fractional-bound | an integer feature with a fractional bound | an integer feature needs a whole minimum | write a whole number
IR205 | empty-feature-range | a feature's minimum is above its maximum | minimum is greater than maximum | swap or correct the bounds
IR206 | invalid-pattern | a feature's pattern is not a regular expression, or one the linear-time matcher cannot take | invalid regular expression: missing ), unterminated subpattern at position 0 | correct the regular expression; write it without backreferences or lookaround
IR207 | reserved-name | a feature named like a keyword of the condition language | 'all' is reserved by the condition language | choose another name
IR208 | duplicate-declaration | a name declared twice across the files | feature 'age' is already declared in rules/b.yaml | declare each feature, fact, role, intervention and the 'ruleset' section once
IR209 | no-ruleset-section | no file declares the 'ruleset' section | no file declares the 'ruleset' section | add a 'ruleset' section (name, version) to one file
IR210 | duplicate-rule-id | two rules share an id | duplicate rule id 'DBT-1' (first at rules/a.yaml:5:9) | give each rule its own id
IR211 | unknown-feature | a condition or text names a feature that is not declared | unknown feature 'reason'; did you mean 'reasons'? | correct the name, or declare the feature
IR212 | object-tested | a condition tests an object feature as a whole | 'family' is an object; test one of its fields: family.involved, family.conflict | test one of the fields
IR213 | operator-not-applicable | an operator that does not apply to the feature's type | 'contains_any' does not apply to 'pattern' (string); use one of: eq, ne, in, not_in, recorded | use one of the operators listed
IR214 | operand-type | an operand of the wrong type for the feature | 'age' is a number; '18' is not | write the operand as the feature's type (no quotes around numbers)
IR215 | never-matches | an operand that a whole-number feature can never equal | 'age' is a whole number; 15.5 can never match | write a whole number, or use a range operator
IR216 | unknown-value | an operand outside the feature's values | unknown value 'copin' for 'reasons'; did you mean 'coping'? | use one of the feature's values
IR217 | pattern-mismatch | an operand that does not fit the feature's pattern | 'Lithium' does not match the pattern of 'medications' | write the value in the feature's form
IR218 | out-of-range | a numeric operand outside the feature's range | 130 is outside the range of 'age' (0 to 120) | a test beyond the range is always or never true: correct the number
IR219 | empty-between | a 'between' whose low end is above its high end | between [18, 13] is empty: the low end is above the high end | write the low end first
IR220 | value-listed-twice | a value listed twice in one operand | a value is listed twice | list each value once
IR221 | contradiction | tests under one 'all' that can never hold together | this 'all' can never be true: no value of 'age' satisfies all of its bounds | correct the bounds or values; the rule could never fire
IR222 | unknown-fact | a derived fact that is not declared | unknown fact 'needs_familyy'; did you mean 'needs_family'? | correct the name, or declare the fact under 'facts'
IR223 | unknown-intervention | an intervention that is not in the catalogue | unknown intervention 'family_therapi'; did you mean 'family_therapy'? | correct the id, or add the intervention to the catalogue
IR224 | unknown-role | a collaboration role that is not declared | unknown role 'psychiatryst'; did you mean 'psychiatrist'? | correct the name, or declare the role under 'roles'
IR225 | invalid-template | a text whose braces do not form a template | invalid text template: Single '}' encountered in format string; write {{ and }} for literal braces | write {{ and }} for literal braces
IR226 | placeholder-format | a placeholder with a format or conversion | placeholder '{age:d}' takes no format or conversion | write the bare feature name, as in {age}
IR227 | review-order | a rule's review is due before it was last reviewed | review_due is before last_reviewed | correct one of the two dates
IR228 | active-on-weak-evidence | an active rule rests on evidence of less than high confidence | an active rule rests on evidence of confidence 'medium'; keep it draft until ... | keep the rule draft until the evidence is confirmed
IR229 | constraint-both-sides | a ranking constraint selects an intervention on both sides | constraint C selects cbt on both sides | narrow one of the two selectors
IR230 | constraints-contradict | ranking constraints that no order satisfies | ranking constraints contradict each other: cbt above dbt above cbt | remove or narrow one of the constraints in the cycle
IR231 | fact-cycle | derived facts that depend on themselves | derived facts form a cycle: a -> b -> a | break the cycle: a fact may not rest, through any chain of rules, on itself
IR232 | facts-too-deep | derived facts that build on each other too many levels deep | derived facts build on each other 39 levels deep (at most 31) | conclude from features directly rather than through long chains of facts
IR233 | too-many-alternatives | a condition that expands to too many alternatives for the engine | rule X: its condition expands to more than 256 alternatives; split it into ... | split the rule, or conclude a derived fact and test it
IR234 | too-many-tests | one alternative of a condition makes too many tests at once | rule X: one alternative of its condition makes 70 tests at once (at most 64); split the rule | split the rule
IR235 | matched-needs-list | a {matched.FEATURE} placeholder whose feature is not a list | '{matched.age}' needs a list feature; 'age' is not one | name a list feature, or write {age} to show the recorded value
IR236 | matched-never-matches | a {matched.FEATURE} placeholder in a rule that never matches values of that feature | '{matched.reasons}': rule X never matches values of 'reasons' (...) | test the feature with contains_any, contains_all or contains_other_than, or use {reasons}
IR237 | no-live-rules | a rule set with no active or draft rule: none, or all retired | no active or draft rule: nothing can fire, so every decision would be empty | write a rule, or make a retired rule a draft again; a rule set in which nothing can fire is refused, never served

IR301 | not-an-object | the assessment is not a JSON object | an assessment is a JSON object, got a list | send one JSON object, feature names as keys
IR302 | unknown-assessment-feature | a feature the rule set does not declare | reason: unknown feature; did you mean 'reasons'? | correct the name; unknown features are never ignored
IR303 | unknown-assessment-field | a field of an object feature that is not declared | family.involvd: unknown field; did you mean 'involved'? | correct the field name
IR304 | wrong-assessment-type | a value of the wrong JSON type | age: expected an integer, got a string | send the feature's type (true and 15.0 are not integers)
IR305 | assessment-out-of-range | a number outside the feature's range | age: out of range (0 to 120) | check the value; it cannot be right for this feature
IR306 | not-finite | a number that is not finite | score: expected a finite number | send a finite number
IR307 | assessment-unknown-value | a text value outside the feature's values | reasons[0]: unknown value; expected one of: ... | use one of the feature's values
IR308 | assessment-wrong-form | a text value that does not fit the feature's pattern | medications[0]: does not match the expected form ^[a-z][a-z0-9 -]*$ | write the value in the expected form
IR309 | listed-more-than-once | a list that repeats a value | reasons: an item is listed more than once | list each value once
IR310 | required | a required feature is not recorded | age: required but not recorded | record the feature
IR311 | invalid-json | the input is not valid JSON (command line, batch) | not valid JSON: Expecting value at line 1 column 1 | send strict UTF-8 JSON: no repeated keys, no NaN, not nested too deeply
IR312 | not-unicode | text that is not valid Unicode: a lone UTF-16 surrogate such as \\ud800 | pattern: text that is not valid Unicode (a lone surrogate, such as \\ud800) | send the text as UTF-8; a surrogate belongs in a pair
IR313 | input-too-large | an assessment or batch line larger than the limit, refused as it is read (command line, batch) | the input is larger than the limit of 1048576 bytes | send one assessment at a time, or raise --max-input-bytes
IR314 | internal-error | a batch line that could not be evaluated because of a fault in this library | the line could not be evaluated: an internal error (RuntimeError); please report it | report it; the other lines are not affected

IR401 | invalid-manifest | the manifest is missing, unreadable or not a valid manifest | invalid manifest: 'by' is a required property | approve the rule set again (intervention-rules approve), or correct the file
IR402 | stale-manifest | the manifest approves other content than the rule files | stale manifest: it approves content sha256:..., but the rule set is now sha256:... | have the changed rule set reviewed and approved
IR403 | manifest-mismatch | the manifest names another rule set or version | the manifest is for version 1.0.0, the rule files declare 1.1.0 | approve the version the files declare
IR404 | review-overdue | a live rule's review date has passed | review was due on 2026-01-01 | review the rule and update last_reviewed and review_due
IR405 | review-due-soon | a live rule's review is due within 30 days | review is due on 2026-12-01 | plan the review
IR406 | draft-in-approved-set | a draft rule in an approved rule set | a draft rule in an approved rule set: it evaluates and reaches decisions ... | review the rule and make it active, or retire it
IR407 | draft-rule | a draft rule in a rule set not yet approved | draft rule: it evaluates, marked draft in decisions | review it before approval
IR408 | self-reviewed | an active rule reviewed by its own author | reviewed by its own author (A. Author) | have someone else review it
IR409 | reviewer-placeholder | an active rule's reviewer reads like a placeholder | the reviewer is a placeholder: 'TBD' | name the clinician who reviewed it, or keep the rule draft
IR410 | evidence-not-graded | an active rule recommends on evidence that is not graded | it recommends on evidence that is not graded | grade the evidence
IR411 | unused-feature | no rule tests a declared feature | no rule tests feature 'medications' | remove the feature or write the rules that use it
IR412 | fact-never-concluded | rules test a fact that no rule concludes | rules test fact 'x' but no rule concludes it | conclude the fact, or remove the tests: as it stands they are always false
IR413 | unused-fact | a declared fact that no rule concludes or tests | no rule concludes or tests fact 'x' | remove it
IR414 | fact-never-tested | a fact that is concluded but never tested | fact 'x' is concluded but no rule tests it | test it, or stop concluding it
IR415 | unused-role | a declared role that no prompt involves | no prompt involves role 'pharmacist' | remove it, or add the prompts
IR416 | unused-intervention | no rule concerns a catalogued intervention | no rule concerns intervention 'group_therapy' | write the rules, or remove it from the catalogue
IR417 | never-recommended | an intervention that rules mention but none recommends | no rule recommends intervention 'snri' | check that this is meant
IR418 | no-collaboration | a recommended intervention with no prompt saying who to involve | 'cbt' is recommended but no prompt says who to involve | add a collaboration prompt
IR419 | unreachable | a rule whose condition can never be true | its condition can never be true (...); it never fires | correct the condition
IR420 | shadowed | a recommendation that a not-recommend rule always overrides | whenever it recommends 'ssri', a not-recommend rule (X) also fires, so ... | narrow one of the two rules
IR421 | recommend-and-not-recommend | a recommend and a not-recommend rule overlap | recommends 'ssri' where X does not recommend it; not-recommend wins ... | check that the example is meant
IR422 | never-shown | a caution, prompt or adjustment that never shows | its caution, prompt or adjustment for 'ssri' never shows: ... | correct the condition, or remove the action
IR423 | undecided | a question lint could not decide | could not decide whether it can ever fire | simplify the condition, or check by hand
IR424 | no-schema-pointer | a rule file that does not point at the JSON Schema | the file does not point at the rule-file JSON Schema (...) | add a '$schema' key or a yaml-language-server first line
IR425 | source-article-graded | evidence citing the source article with a grade other than not_graded | evidence citing the source article (...) is graded 'moderate': the article is the content ... | grade it not_graded and cite the studies or guidance for the grade

IR501 | unknown-name | a scenario names an intervention, role or rule the rule set does not have | unknown intervention 'cbtt'; did you mean 'cbt'? | correct the name
IR502 | invalid-not-alone | 'invalid' combined with other expectations | 'invalid' expects the assessment to be rejected; it stands alone | move the other expectations to another scenario
IR503 | contradictory-expectation | a name expected both ways | 'cbt' is expected both recommended and not_recommended | keep one
IR504 | invariant-kind | an invariant without exactly one of only_when, always_when, never_when | an invariant needs exactly one of only_when, always_when, never_when; found none | give exactly one
IR505 | duplicate-scenario | two scenarios in one file share a name | the scenario name 'teen' is already used at line 4 | give each scenario its own name
IR506 | invalid-mutant-id | an accepted mutant that is not a mutant id | 'delete:X' is not a mutant id (remove:RULE, ...) | copy the id as the mutation report prints it
IR507 | invalid-assessment-file | a JSON scenario file that holds no assessment | a JSON scenario file holds an assessment (a JSON object) or a non-empty list of them | write one JSON object, or a list of them
IR508 | no-scenarios | no scenario file at the path given | no scenario files (*.scenario.yaml, *.json or *.jsonl) found | check the path
IR509 | invalid-scenario-json | a JSON scenario file that is not valid JSON, or not as strict as an assessment (a key twice in one object, nested too deeply, a number of too many digits) | the key 'age' appears more than once in one object | fix the JSON at the line given; write each key once

IR601 | invalid-fhir | a resource that is not valid FHIR R4 (named by element, never by value) | QuestionnaireResponse.item[0].answer[0].valueInteger: is not valid FHIR (int_parsing) | send a valid resource of the type asked for
IR602 | other-questionnaire | a QuestionnaireResponse to another questionnaire (or another version of it) | QuestionnaireResponse.questionnaire: the response answers another questionnaire; expected ... | answer the rule set's own questionnaire (intervention-rules fhir questionnaire)
IR603 | response-not-completed | a QuestionnaireResponse that is not completed or amended | QuestionnaireResponse.status: expected 'completed' or 'amended' | evaluate the response once it is completed
IR604 | unknown-link-id | an item whose linkId the questionnaire does not have, or has in another group | mood: unknown linkId in the questionnaire | use the questionnaire's linkIds; a group's items keep their dotted linkIds
IR605 | answered-twice | an item that appears more than once in the response | age: answered more than once | send each item once
IR606 | wrong-answer-type | an answer of another type than the item's | age: expected valueInteger, got valueString | answer with the item's type (valueInteger, valueDecimal, valueBoolean, valueCoding, valueString)
IR607 | not-an-answer-option | a coded answer that is not one of the item's answer options | pattern: the coding is not one of the item's answer options | use a coding from the item's answerOption (system and code)
IR608 | too-many-answers | several answers to a single question, or None with other answers | pattern: expected at most one answer | give one answer; for a list, None alone or the values without None
IR609 | age-not-computable | no age item, and no full birth date and authored date to compute it from | age: not answered, and Patient.birthDate is missing or not a full date, so age is unknown | answer the age item, or send the Patient with its birthDate and the response's authored date
IR610 | age-disagrees | the age answered differs from the age at the authored date by the Patient's birth date | age: the answer and Patient.birthDate (at the authored date) disagree | correct the age or the birth date
IR611 | other-patient | the response's subject is not the Patient sent with it | QuestionnaireResponse.subject: the response is about another patient | send the response and the Patient of the same person
IR612 | context-feature | an item, or an assessment field to record as one, for a feature the CDS Hooks context fills (the order of order-select and order-sign), which the questionnaire does not ask | order: filled from the order hooks' context (draftOrders), not asked in the questionnaire | leave it out: the order-select and order-sign services fill it from the draft orders
"""

#: Every code, in order.
CODES: Mapping[str, Code] = MappingProxyType(
    {code.code: code for code in (Code(*line.split(" | ")) for line in _TABLE.strip().splitlines() if line)}
)


def slug_of(code: str) -> str:
    """The short name of a code (``IR211`` -> ``unknown-feature``); empty for an unknown code."""
    entry = CODES.get(code)
    return entry.slug if entry is not None else ""


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown(codes: Iterable[Code] | None = None) -> str:
    """The list of codes as Markdown tables, one per range, as docs/errors.md holds it."""
    chosen = list(CODES.values() if codes is None else codes)
    out: list[str] = []
    for digit, title in RANGES.items():
        rows = [c for c in chosen if c.code[2] == digit]
        out += [f"### IR{digit}xx: {title}", ""]
        if not rows:
            out += ["Reserved.", ""]
            continue
        out += ["| code | name | what | example | how to fix |", "| --- | --- | --- | --- | --- |"]
        out += [
            f"| {c.code} | `{c.slug}` | {_cell(c.summary)} | `{_cell(c.example)}` | {_cell(c.fix)} |"
            for c in rows
        ]
        out.append("")
    return "\n".join(out)
