"""Which features lead to which interventions."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from helpers import make_ruleset, recommend, rule
from intervention_rules.governance._graph import graph, svg


def test_edges_follow_rules_through_derived_facts(tmp_path: Path) -> None:
    ruleset = make_ruleset(
        tmp_path,
        rule("YOUNG", {"age": {"lt": 18}}, {"conclude": "f0"}),
        rule("FAMILY", {"all": [{"fact": "f0"}, {"family.involved": True}]}, recommend("family_therapy", 2)),
        rule("NO-SSRI", {"fact": "f0"}, {"not_recommend": {"intervention": "ssri", "text": "x"}}),
        rule("OLD", {"age": {"gte": 90}}, recommend("cbt", 1), status="retired"),
    )
    g = graph(ruleset)
    assert {(e.source, e.target, e.kind, e.rules) for e in g.edges} == {
        ("feature:age", "fact:f0", "fact", ("YOUNG",)),
        ("fact:f0", "intervention:family_therapy", "recommend", ("FAMILY",)),
        ("feature:family.involved", "intervention:family_therapy", "recommend", ("FAMILY",)),
        ("fact:f0", "intervention:ssri", "not_recommend", ("NO-SSRI",)),
    }
    assert g.interventions == ("family_therapy", "ssri")


def test_the_picture_is_well_formed_svg_with_escaped_labels(tmp_path: Path) -> None:
    ruleset = make_ruleset(tmp_path, rule("R", {"age": {"lt": 18}}, recommend("dbt", 2)))
    picture = str(svg(graph(ruleset)))
    root = ET.fromstring(picture)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "age" in texts
    assert "DBT" in texts
    assert len(list(root.iter("{http://www.w3.org/2000/svg}path"))) == 1
