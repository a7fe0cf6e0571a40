"""Loading rule files: every problem found, each pointing at a real line."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

import intervention_rules as ir
from helpers import ROOT, cli, make_ruleset, one_rule_document, recommend, rule
from strategies import BASE, DrawSource, replace_a_node, ruleset_document

FIXTURES = Path(__file__).parent / "fixtures"


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ir.RuleSetError) as caught:
        ir.load_ruleset(path)
    return [str(p) for p in caught.value.problems]


def test_every_semantic_problem_is_reported_with_location_and_suggestion() -> None:
    """The golden broken rule set: thirteen problems, each exact."""
    f = "tests/fixtures/invalid/rules.yaml"
    assert problems_of(Path("tests/fixtures/invalid")) == [
        f"{f}:15:19: unknown feature 'reason'; did you mean 'reasons'? "
        "(at rules[0].when.all[0].reason) [IR211]",
        f"{f}:16:36: unknown value 'emotional_regulaton' for 'reasons'; did you mean "
        "'emotional_regulation'? (at rules[0].when.all[1].reasons.contains_any[0]) [IR216]",
        f"{f}:17:16: 'age' is a number; '18' is not (at rules[0].when.all[2].age) [IR214]",
        f"{f}:18:27: unknown feature 'family.involvd'; did you mean 'family.involved'? "
        "(at rules[0].when.all[3].family.involvd) [IR211]",
        f"{f}:20:35: unknown intervention 'family_therapi'; did you mean 'family_therapy'? "
        "(at rules[0].then[0].recommend.intervention) [IR223]",
        f"{f}:20:70: unknown feature 'ages' in text template; did you mean 'age'? "
        "(at rules[0].then[0].recommend.text) [IR211]",
        f"{f}:21:48: unknown role 'psychiatrst'; did you mean 'psychiatrist'? "
        "(at rules[0].then[1].collaborate.role) [IR224]",
        f"{f}:22:9: duplicate rule id 'UNKNOWN-NAMES' (first at {f}:5:9) (at rules[1].id) [IR210]",
        f"{f}:29:17: review_due is before last_reviewed (at rules[1].review_due) [IR227]",
        f"{f}:30:55: an active rule rests on evidence of confidence 'med'; keep it draft until a "
        "clinician confirms it against the primary text (at rules[1].evidence[0].confidence) [IR228]",
        f"{f}:33:9: this 'all' can never be true: no value of 'age' satisfies all of its bounds "
        "(at rules[1].when.all) [IR221]",
        f"{f}:35:35: 'contains_any' does not apply to 'pattern' (string); use one of: eq, ne, in, "
        "not_in, recorded (at rules[1].when.all[2].pattern.contains_any) [IR213]",
        f"{f}:48:5: derived facts form a cycle: a -> b -> a (at rules[3]) [IR231]",
    ]


def test_problems_carry_data_not_just_text() -> None:
    with pytest.raises(ir.RuleSetError) as caught:
        ir.load_ruleset(FIXTURES / "invalid")
    first = caught.value.problems[0]
    assert (first.line, first.column, first.path, first.suggestion) == (
        15,
        19,
        "rules[0].when.all[0].reason",
        "reasons",
    )
    assert isinstance(caught.value, ir.InterventionRulesError)


def write(tmp_path: Path, text: str, name: str = "rules.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rules: [\n", "rules.yaml:2:1: YAML syntax error"),
        ("a: 1\na: 2\n", "rules.yaml:2:1: duplicate key 'a'"),
        ("", "rules.yaml:1:1: the file is empty"),
        ("a: 1\n---\nb: 2\n", "rules.yaml:1:1: expected one YAML document, found 2"),
        ("a: &x [*x]\n", "rules.yaml:1:4: an alias refers to itself"),
        (
            "a: !!python/object:os.system {}\n",
            "rules.yaml:1:4: the tag tag:yaml.org,2002:python/object:os.system is not allowed",
        ),
        ("rules: 5\n", "rules.yaml:1:8: expected array, found an integer (at rules)"),
        ("rulez: []\n", "rules.yaml:1:8: unknown field 'rulez'; did you mean 'rules'?"),
        ("a: " + "[" * 500 + "]" * 500 + "\n", "nested more than 64 levels deep"),
        ("a: " + "[" * 20000 + "]" * 20000 + "\n", "rules.yaml:1:"),
        ("x: !!bool ''\n", "rules.yaml:1:4: '' is not a valid YAML bool"),
        ("x: !!int ''\n", "rules.yaml:1:4: '' is not a valid YAML int"),
        ("x: !!timestamp abc\n", "rules.yaml:1:4: 'abc' is not a valid YAML timestamp"),
        ("x: .nan\n", "rules.yaml:1:4: '.nan' and '.inf' are not allowed in rule files"),
        ("x: -.inf\n", "rules.yaml:1:4: '.nan' and '.inf' are not allowed in rule files"),
        ("a: {<<: 5}\n", "rules.yaml:1:4: invalid merge"),
        ("yes: 1\n", "quote keys such as yes, no, on, off"),
        ("ruleset: {name: a, version: yes}\n", "(YAML reads unquoted yes, no, on, off"),
    ],
)
def test_unreadable_files_are_reported_at_the_right_place(tmp_path: Path, text: str, expected: str) -> None:
    problems = problems_of(write(tmp_path, text))
    assert any(expected in p for p in problems), problems


def test_a_file_that_is_not_utf8_is_reported(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_bytes(b"ruleset: \xff\n")
    assert "not UTF-8" in problems_of(tmp_path)[0]


def test_no_ruleset_section_and_missing_paths_are_errors(tmp_path: Path) -> None:
    assert "no file declares the 'ruleset' section" in problems_of(write(tmp_path, "rules: []\n"))[0]
    assert "no rule set at" in problems_of(tmp_path / "missing")[0]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "no .yaml or .yml files" in problems_of(empty)[0]


def test_a_rule_set_in_which_no_rule_can_fire_is_refused(tmp_path: Path) -> None:
    """No rules, or only retired ones: every decision would be empty, a quiet non-answer."""
    retired = rule("OLD", {"age": {"gte": 0}}, recommend("cbt", 1), status="retired")
    for rules in ([], [retired]):
        with pytest.raises(ir.RuleSetError) as caught:
            make_ruleset(tmp_path, *rules)
        (problem,) = caught.value.problems
        assert (problem.code, problem.slug, problem.path) == ("IR237", "no-live-rules", "ruleset")
        assert problem.message == (
            "no active or draft rule: nothing can fire, so every decision would be empty"
        )
        assert problem.line > 0
    with pytest.raises(ir.RuleSetError, match=r"\[IR237\]"):
        ir.load_ruleset_from_texts({"rules.yaml": yaml.safe_dump(BASE)})
    # One live rule is enough, whatever it does: a draft, an alert or a veto can each fire.
    alert = {"alert": {"severity": "info", "text": "Seen."}}
    veto = {"not_recommend": {"intervention": "cbt", "text": "No."}}
    for then, status in ((recommend("cbt", 1), "draft"), (alert, "active"), (veto, "active")):
        live = rule("NEW", {"age": {"gte": 0}}, then, status=status)
        assert make_ruleset(tmp_path, retired, live).live_rules
    # A rule set built from a loaded one (mutation testing, what-if) may remove every rule.
    loaded = make_ruleset(tmp_path, rule("ONLY", {"age": {"gte": 0}}, recommend("cbt", 1)))
    assert loaded.with_rules(remove=["ONLY"]).evaluate({"age": 30}).fired == ()


def test_validate_refuses_a_rule_set_with_no_rule_as_invalid_rules(tmp_path: Path) -> None:
    path = write(tmp_path, yaml.safe_dump(BASE))
    result = cli("validate", "--rules", str(path))
    assert (result.returncode, result.stdout) == (1, ""), result.stderr
    assert "no active or draft rule: nothing can fire" in result.stderr
    assert result.stderr.splitlines()[-1] == "1 problem(s); the rule set was not loaded"


def test_a_rule_set_that_differs_from_the_approved_digest_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, yaml.safe_dump(one_rule_document()))
    digest = ir.load_ruleset(path).digest
    assert digest.startswith("sha256:")
    assert len(digest) == 71
    assert ir.load_ruleset(path, expected_digest=digest).digest == digest
    path.write_text(path.read_text() + "# a comment changes the content\n")
    with pytest.raises(ir.RuleSetError, match="differs from the approved version"):
        ir.load_ruleset(path, expected_digest=digest)


def valid_text(data: st.DataObject) -> str:
    src = DrawSource(data.draw)
    return yaml.safe_dump(ruleset_document(src, src.integer(1, 4)), sort_keys=False)


def check_only_ruleset_errors(text: str) -> None:
    lines = text.count("\n") + 2
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "rules.yaml"
        path.write_text(text, encoding="utf-8")
        problems: tuple[ir.Problem, ...] = ()
        try:
            ir.load_ruleset(path)
        except ir.RuleSetError as error:  # any other exception fails the test
            problems = error.problems
            assert problems, "a RuleSetError without problems"
        for problem in problems:
            assert problem.file == str(path)
            assert 1 <= problem.line <= lines, problem
            assert problem.column >= 1, problem


@given(st.data())
def test_broken_yaml_raises_only_ruleset_errors_pointing_at_real_lines(data: st.DataObject) -> None:
    """Cut, insert and replace characters in a valid rule file: loading either succeeds or
    raises RuleSetError whose every location is a real line of the file."""
    text = valid_text(data)
    for _ in range(data.draw(st.integers(1, 4))):
        start = data.draw(st.integers(0, len(text)))
        end = data.draw(st.integers(start, min(len(text), start + 40)))
        insert = data.draw(
            st.sampled_from(["", ":", "- ", "  ", "\n", "{", "]", "x", "'", "&a", "*a", "1e-9", "!!"])
        )
        text = text[:start] + insert + text[end:]
    check_only_ruleset_errors(text)


KEYS = [
    "ruleset",
    "rules",
    "features",
    "interventions",
    "roles",
    "facts",
    "when",
    "then",
    "all",
    "any",
    "not",
    "fact",
    "age",
    "reasons",
    "id",
    "status",
    "recommend",
    "intervention",
    "strength",
    "text",
    "type",
    "values",
    "fields",
    "eq",
    "lt",
    "between",
    "contains_any",
    "conclude",
    "evidence",
]
JUNK = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 200) | st.floats(allow_nan=False) | st.sampled_from(KEYS),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.sampled_from(KEYS), children, max_size=5)
    ),
    max_leaves=30,
)


@given(st.dictionaries(st.sampled_from(KEYS), JUNK, max_size=6))
def test_random_documents_raise_only_ruleset_errors(document: dict[str, Any]) -> None:
    check_only_ruleset_errors(yaml.safe_dump(document))


@given(st.data())
def test_random_edits_of_a_valid_document_raise_only_ruleset_errors(data: st.DataObject) -> None:
    """Replace one node anywhere in a valid document with junk."""
    src = DrawSource(data.draw)
    document: Any = ruleset_document(src, src.integer(1, 3))
    replace_a_node(data, document, JUNK)
    check_only_ruleset_errors(yaml.safe_dump(document, sort_keys=False))


def test_an_impossible_date_is_reported_where_it_is_and_hides_nothing(tmp_path: Path) -> None:
    problems = problems_of(
        write(
            tmp_path, "ruleset: {name: a, version: '1'}\nrules:\n  - last_reviewed: 2026-02-30\n    id: 5\n"
        )
    )
    assert any(":3:20: '2026-02-30' is not a valid YAML timestamp" in p for p in problems)
    assert any(":4:9: expected string, found an integer" in p for p in problems)
    assert sum("missing required field 'author'" in p for p in problems) == 1  # once, not once per field


def test_files_in_hidden_folders_are_not_read(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(one_rule_document()))
    (tmp_path / ".old").mkdir()
    (tmp_path / ".old" / "broken.yaml").write_text("rules: [\n")
    assert ir.load_ruleset(tmp_path).files == ("rules.yaml",)


def test_a_long_chain_of_derived_facts_is_refused_before_it_can_fail(tmp_path: Path) -> None:
    """1,500 facts each concluded from the last loaded, then failed on every evaluation."""
    document: dict[str, Any] = dict(BASE)
    document["facts"] = {f"f{i}": {"description": "chain"} for i in range(40)}
    chain = [rule("START", {"age": {"gte": 0}}, {"conclude": "f0"})]
    chain += [rule(f"STEP-{i}", {"fact": f"f{i - 1}"}, {"conclude": f"f{i}"}) for i in range(1, 40)]
    document["rules"] = chain
    problems = problems_of(write(tmp_path, yaml.safe_dump(document)))
    assert len(problems) == 1
    assert "derived facts build on each other 39 levels deep (at most 31) (at rules[39])" in problems[0]
    document["rules"] = chain[:31]
    path = write(tmp_path, yaml.safe_dump(document))
    decision = ir.load_ruleset(path).evaluate({"age": 3})
    assert len(decision.fired) == 31


def test_names_with_a_trailing_newline_are_refused(tmp_path: Path) -> None:
    """Python's '$' matches before a final newline; the schema's patterns must not let 'R-1\\n' in."""
    with pytest.raises(ir.RuleSetError, match="is not a valid id"):
        make_ruleset(tmp_path, rule("R-1\n", {"age": {"gte": 0}}, recommend("cbt", 1)))
    with pytest.raises(ir.RuleSetError, match="is not a valid name"):
        make_ruleset(tmp_path, rule("R-1", {"age": {"gte": 0}}, recommend("cbt\n", 1)))


# --- what a rule directory may hold: everything else fails closed ------------------------------


@pytest.fixture
def rule_dir(tmp_path: Path) -> Path:
    """A valid one-file rule set in a directory of its own."""
    directory = tmp_path / "rules"
    directory.mkdir()
    (directory / "rules.yaml").write_text(yaml.safe_dump(one_rule_document()), encoding="utf-8")
    return directory


def refused(directory: Path) -> list[str]:
    with pytest.raises(ir.RuleSetError) as caught:
        ir.load_ruleset(directory)
    return [f"{Path(p.file).name}: {p.message}" for p in caught.value.problems]


def test_a_rule_directory_holds_rule_files_subdirectories_and_ignored_files(rule_dir: Path) -> None:
    """Rule files in subdirectories and through links are read; other regular files and hidden
    entries are left alone."""
    (rule_dir / "README.md").write_text("notes\n")
    (rule_dir / ".git").mkdir()
    (rule_dir / ".git" / "HEAD.yaml").write_text("not: [yaml")
    (rule_dir / "more").mkdir()
    (rule_dir / "more" / "notes.txt").write_text("x")
    (rule_dir.parent / "elsewhere.yaml").write_text("{}")
    assert ir.load_ruleset(rule_dir).files == ("rules.yaml",)
    (rule_dir / "more" / "rules.yaml").symlink_to(rule_dir / "rules.yaml")
    assert ir.load_ruleset(rule_dir / "more").files == ("rules.yaml",)


def test_a_dangling_link_fails_closed(rule_dir: Path) -> None:
    """A rule file on an unmounted path is a dangling link: the rule set is refused, whatever
    the link is named (it may have been a directory of rule files)."""
    (rule_dir / "extra.yaml").symlink_to("/nonexistent/extra.yaml")
    (rule_dir / "mounted").symlink_to("/nonexistent/rules")
    assert refused(rule_dir) == [
        "extra.yaml: a symbolic link to nothing (dangling): its target does not exist",
        "mounted: a symbolic link to nothing (dangling): its target does not exist",
    ]


def test_link_loops_fail_closed(rule_dir: Path) -> None:
    (rule_dir / "self.yaml").symlink_to(rule_dir / "self.yaml")
    (rule_dir / "sub").mkdir()
    (rule_dir / "sub" / "back").symlink_to(rule_dir)
    assert refused(rule_dir) == [
        "self.yaml: a symbolic link loop",
        "back: a link back to a directory that contains it (a loop)",
    ]


def test_a_fifo_fails_closed_instead_of_blocking(rule_dir: Path) -> None:
    os.mkfifo(rule_dir / "pipe.yaml")
    os.mkfifo(rule_dir / "README")
    message = (
        "not a regular file or a directory (a FIFO, socket or device); "
        "a rule directory holds only files and directories"
    )
    assert refused(rule_dir) == [f"README: {message}", f"pipe.yaml: {message}"]
    with pytest.raises(ir.RuleSetError, match="not a regular file or a directory"):
        ir.load_ruleset(rule_dir / "pipe.yaml")


@pytest.mark.parametrize("name", ["X.YAML", "x.Yml", "x.yAmL"])
def test_a_rule_file_extension_in_another_case_fails_closed(rule_dir: Path, name: str) -> None:
    (rule_dir / name).write_text("{}")
    assert refused(rule_dir) == [
        f"{name}: rule files end in .yaml or .yml in lower case; rename this file, "
        "or move it out of the rule directory"
    ]


def test_unreadable_entries_fail_closed(rule_dir: Path) -> None:
    """Permission denied on a rule file or a subdirectory, checked as an unprivileged user (root
    reads everything), through the real command line."""
    shared = Path(tempfile.mkdtemp())
    try:
        shared.chmod(0o755)
        directory = shared / "rules"
        shutil.copytree(rule_dir, directory)
        (directory / "secret.yaml").write_text("{}")
        (directory / "secret.yaml").chmod(0)
        (directory / "locked").mkdir(mode=0)
        command = [sys.executable, "-m", "intervention_rules", "validate", "--rules", str(directory)]
        if os.geteuid() == 0:
            command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
        result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=120)
    finally:
        (shared / "rules" / "locked").chmod(0o700)
        shutil.rmtree(shared)
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines() == [
        f"{directory}/locked: the directory cannot be read: Permission denied [IR103]",
        f"{directory}/secret.yaml: cannot read the file: Permission denied [IR103]",
        "2 problem(s); the rule set was not loaded",
    ]


def test_validate_says_invalid_for_a_dangling_link(rule_dir: Path) -> None:
    (rule_dir / "gone.yaml").symlink_to("/nonexistent/gone.yaml")
    result = subprocess.run(
        [sys.executable, "-m", "intervention_rules", "validate", "--rules", str(rule_dir)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert (result.returncode, result.stdout) == (1, "")
    assert "gone.yaml: a symbolic link to nothing (dangling)" in result.stderr


# --- limits, checked while reading -------------------------------------------------------------


def test_a_rule_file_over_the_size_limit_is_refused_unread(rule_dir: Path) -> None:
    size = (rule_dir / "rules.yaml").stat().st_size
    assert ir.load_ruleset(rule_dir, max_file_bytes=size).files == ("rules.yaml",)
    with pytest.raises(ir.RuleSetError) as caught:
        ir.load_ruleset(rule_dir, max_file_bytes=size - 1)
    assert [p.message for p in caught.value.problems] == [
        f"the file is larger than the limit of {size - 1} bytes"
    ]


def test_a_rule_file_of_many_small_nodes_is_refused_before_they_are_built(tmp_path: Path) -> None:
    """Counted on the parser's events: the node graph of a file of 300,000 nodes is never built."""
    (tmp_path / "big.yaml").write_text("- 1\n" * 300_000)
    assert refused(tmp_path) == ["big.yaml: the document has more than 200000 nodes"]


def test_a_refused_long_value_is_quoted_short(rule_dir: Path) -> None:
    document = dict(BASE, ruleset=dict(BASE["ruleset"], version="A" * 1_000_000))
    (rule_dir / "rules.yaml").write_text(yaml.safe_dump(document, width=10**7), encoding="utf-8")
    (problem,) = _problems(rule_dir)
    assert len(str(problem)) < 300
    assert "(1000000 characters)" in problem.message


def test_a_refused_long_value_given_as_text_is_quoted_short() -> None:
    document = dict(BASE, ruleset=dict(BASE["ruleset"], version="A" * 1_000_000))
    with pytest.raises(ir.RuleSetError) as caught:
        ir.load_ruleset_from_texts({"rules.yaml": yaml.safe_dump(document, width=10**7)})
    (problem,) = caught.value.problems
    assert len(str(problem)) < 300
    assert "(1000000 characters)" in problem.message


def test_a_refused_long_number_is_written_short(rule_dir: Path) -> None:
    """YAML reads an integer of thousands of digits, and the schema's message writes it out."""
    text = (rule_dir / "rules.yaml").read_text(encoding="utf-8")
    (rule_dir / "rules.yaml").write_text(text.replace("maximum: 120\n", "maximum: 1" + "0" * 4000 + "\n", 1))
    (problem,) = _problems(rule_dir)
    assert problem.code == "IR127"
    assert problem.message.startswith("1000000000000000000000000000000000000000... (4001 digits) is ")
    assert len(str(problem)) < 300


def _problems(directory: Path) -> tuple[ir.Problem, ...]:
    with pytest.raises(ir.RuleSetError) as caught:
        ir.load_ruleset(directory)
    return caught.value.problems


def test_an_alias_bomb_is_refused_while_it_is_built(tmp_path: Path) -> None:
    """A few lines of aliases that would expand to a billion nodes stop at the node limit."""
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    (tmp_path / "bomb.yaml").write_text("\n".join(lines) + "\n")
    (problem,) = _problems(tmp_path)
    assert problem.message == "the document expands to more than 200000 nodes"


def test_a_rule_set_from_texts_is_the_rule_set_of_its_directory() -> None:
    """Files given as text load as the directory holding them would: same digest, same file
    names, same decisions; bytes and text are both accepted."""
    root = Path("rules")
    on_disk = ir.load_ruleset(root)
    texts: dict[str, str | bytes] = {
        name: (root / name).read_text(encoding="utf-8") for name in reversed(on_disk.files)
    }
    first = on_disk.files[0]
    texts[first] = (root / first).read_bytes()
    from_texts = ir.load_ruleset_from_texts(texts, expected_digest=on_disk.digest)
    assert (from_texts.digest, from_texts.files) == (on_disk.digest, on_disk.files)
    assessment = {"age": 15, "reasons": ["emotional_regulation"]}
    assert from_texts.evaluate(assessment).to_dict() == on_disk.evaluate(assessment).to_dict()


def test_problems_in_texts_name_the_file_as_given() -> None:
    with pytest.raises(ir.RuleSetError) as caught:
        ir.load_ruleset_from_texts({"sub/bad.yaml": "rules: [\n"})
    (problem,) = caught.value.problems
    assert (problem.file, problem.line, problem.code) == ("sub/bad.yaml", 2, "IR105")
    with pytest.raises(ir.RuleSetError) as caught:
        ir.load_ruleset_from_texts({"a.yaml": b"\xff"})
    assert [p.code for p in caught.value.problems] == ["IR104"]
    with pytest.raises(ir.RuleSetError) as caught:
        ir.load_ruleset_from_texts({})
    assert [p.code for p in caught.value.problems] == ["IR102"]


def test_a_rule_file_reached_twice_through_a_link_fails_closed(rule_dir: Path) -> None:
    """Its rules would be read twice; a hard link is the same file too. The walk's first way to
    it, in sorted order, is the one it reads."""
    (rule_dir / "more").mkdir()
    (rule_dir / "more" / "again.yaml").symlink_to(rule_dir / "rules.yaml")
    os.link(rule_dir / "rules.yaml", rule_dir / "same.yaml")
    assert refused(rule_dir) == [
        "rules.yaml: the same file as more/again.yaml: links lead to it twice; "
        "a rule set reads each file once",
        "same.yaml: the same file as more/again.yaml: links lead to it twice; "
        "a rule set reads each file once",
    ]


def test_links_that_fan_out_are_walked_once(rule_dir: Path) -> None:
    """Two links to the next level, 25 levels down, are 2**25 paths to walk; each directory is
    read once, and every second way in fails closed. A process of its own, so that a regression
    is a failed test rather than a hung suite."""
    for level in range(25):
        (rule_dir / f"d{level}").mkdir(exist_ok=True)
        (rule_dir / f"d{level + 1}").mkdir()
        for name in ("a", "b"):
            (rule_dir / f"d{level}" / name).symlink_to(rule_dir / f"d{level + 1}")
    result = cli("validate", "--rules", str(rule_dir))
    assert result.returncode == 1
    problems = result.stderr.splitlines()[:-1]
    # Each level's second link, and each level again at the root (d0 led to the others first).
    assert len(problems) == 50
    twice = ": links lead to it twice; a rule set reads each directory once [IR132]"
    assert all(line.endswith(twice) for line in problems)
    assert f"{rule_dir}/d0/b: the same directory as d0/a{twice}" in problems
    assert f"{rule_dir}/d1: the same directory as d0/a{twice}" in problems


def test_a_filesystem_without_inode_numbers_still_reads_each_file_once(
    rule_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Some filesystems report inode 0 for every entry: files are then told apart by their real
    paths, so the rule set loads, and a file reached twice through a link still fails closed."""
    (rule_dir / "sub").mkdir()
    (rule_dir / "sub" / "empty.yml").write_text("{}\n")
    real_stat = os.stat

    def no_inodes(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        fields = list(real_stat(path, *args, **kwargs)[:10])
        fields[1] = 0  # st_ino
        return os.stat_result(fields)

    monkeypatch.setattr(os, "stat", no_inodes)
    assert ir.load_ruleset(rule_dir).files == ("rules.yaml", "sub/empty.yml")
    (rule_dir / "sub" / "again.yaml").symlink_to(rule_dir / "rules.yaml")
    assert refused(rule_dir) == [
        "again.yaml: the same file as rules.yaml: links lead to it twice; a rule set reads each file once",
    ]


def test_directories_nested_too_deep_fail_closed(rule_dir: Path) -> None:
    """Thirty-two levels are accepted; deeper fails closed (a walk about 1,000 levels down once
    exhausted Python's stack)."""
    deep = rule_dir.joinpath(*["d"] * 32)
    deep.mkdir(parents=True)
    (deep / "empty.yml").write_text("{}\n")
    assert ir.load_ruleset(rule_dir).files == ("d/" * 32 + "empty.yml", "rules.yaml")
    (deep / "d" / "d").mkdir(parents=True)
    assert refused(rule_dir) == ["d: directories nested more than 32 levels deep in the rule set"]


def test_files_given_as_texts_must_be_named_in_unicode_and_hold_text() -> None:
    """A name holding a lone surrogate (what Python makes of a file name that is not UTF-8) is the
    rule set's problem, as in a directory; content that is neither text nor bytes is a TypeError."""
    with pytest.raises(ir.RuleSetError) as caught:
        ir.load_ruleset_from_texts({"a\udcff.yaml": "rules: []\n"})
    (problem,) = caught.value.problems
    assert (problem.code, problem.file) == ("IR131", "a\\udcff.yaml")
    str(problem).encode("utf-8")  # printable
    with pytest.raises(TypeError, match=r"the content of 'a\.yaml' is int, not str or bytes"):
        ir.load_ruleset_from_texts({"a.yaml": 5})  # type: ignore[dict-item]


def test_a_text_holding_a_lone_surrogate_is_the_rule_sets_problem() -> None:
    """Text that UTF-8 cannot hold (a lone surrogate, as from a file read with
    ``errors="surrogateescape"``) is IR104 at its line and column, as bytes that are not UTF-8
    are; every other file is still checked. It raised UnicodeEncodeError."""
    good = (ROOT / "rules" / "interventions.yaml").read_text(encoding="utf-8")
    files = {"a.yaml": "ruleset:\n  name: x\udcff\n", "b.yaml": "rules: [\n"}
    with pytest.raises(ir.RuleSetError) as caught:
        ir.load_ruleset_from_texts({**files, "c.yaml": good})
    assert [(p.file, p.line, p.column, p.code) for p in caught.value.problems] == [
        ("a.yaml", 2, 10, "IR104"),
        ("b.yaml", 2, 1, "IR105"),
    ]
    assert caught.value.problems[0].message == (
        "the file is not UTF-8 text: a lone surrogate (U+DCFF) is not Unicode text"
    )


def test_a_file_name_given_as_text_that_is_not_text_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"a file name is int, not str: 5"):
        ir.load_ruleset_from_texts({5: "rules: []\n"})  # type: ignore[dict-item]


def test_a_problem_prints_no_character_a_terminal_acts_on(rule_dir: Path) -> None:
    """A rule file's text is quoted in problems, and rule files come from anywhere: an escape
    sequence or a bidirectional override in a key is shown escaped when printed, and kept as
    written in the problem's data."""
    key = "x\x1b]0;owned\x07\u202e\n"
    document = dict(BASE, ruleset=dict(BASE["ruleset"], **{key: 1}))
    (rule_dir / "rules.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
    (problem,) = _problems(rule_dir)
    assert problem.message == f"unknown field '{key}'"
    assert "unknown field 'x\\x1b]0;owned\\x07\\u202e\\n'" in str(problem)
    assert str(problem).isprintable()
    result = cli("validate", "--rules", str(rule_dir))
    assert result.returncode == 1
    assert "\x1b" not in result.stderr


def test_a_control_character_in_a_rule_file_text_is_refused(rule_dir: Path) -> None:
    """Only a double-quoted escape can write one, and a terminal would act on it wherever the text
    is shown (explain, a report); tabs and line breaks stay allowed."""
    text = (rule_dir / "rules.yaml").read_text(encoding="utf-8")
    assert "description: Age in years.\n" in text
    shown = text.replace("description: Age in years.\n", 'description: "Age\\tin\\nyears."\n', 1)
    (rule_dir / "rules.yaml").write_text(shown, encoding="utf-8")
    ir.load_ruleset(rule_dir)
    for escape, code_point in (("\\e[2J", "001B"), ("\\0", "0000"), ("\\x85", "0085")):
        hostile = text.replace("description: Age in years.\n", f'description: "Age{escape}"\n', 1)
        (rule_dir / "rules.yaml").write_text(hostile, encoding="utf-8")
        (problem,) = _problems(rule_dir)
        assert (problem.code, problem.path) == ("IR134", "features.age.description")
        assert problem.message == (
            f"a control character (U+{code_point}) in the text; "
            "rule files hold printable text, tabs and line breaks"
        )
