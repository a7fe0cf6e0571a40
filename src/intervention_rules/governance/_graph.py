"""Which features lead to which interventions: the edges, and an inline SVG picture of them.

Three columns: the assessment features that rules test, the derived facts that rules conclude,
and the interventions that rules act on. An edge means "some live rule tests this and acts on
that"; its kind is what the rule does (recommend, not recommend, or another action such as a
caution or prompt). Every label is escaped.
"""

from __future__ import annotations

import attrs
from markupsafe import Markup, escape

from ..conditions import referenced_facts, referenced_features
from ..model import Conclude, NotRecommend, Recommend, action_intervention
from ..ruleset import RuleSet
from ._plain import feature_label

__all__ = ["Edge", "Graph", "graph", "svg"]

KINDS = ("recommend", "not_recommend", "other")
_COLOURS = {"recommend": "#1b7837", "not_recommend": "#b2182b", "other": "#6b6b6b", "fact": "#2c5a9e"}
_WEIGHT = {"recommend": 1.6, "not_recommend": 1.6, "other": 0.8, "fact": 1.4}
_SHIFT = {"recommend": 0, "not_recommend": -5, "other": 5, "fact": 0}
_DASH = {"recommend": "", "not_recommend": "6 4", "other": "2 3", "fact": ""}


@attrs.frozen
class Edge:
    source: str  # "feature:age", "fact:under_18"
    target: str  # "fact:under_18", "intervention:dbt"
    kind: str  # recommend | not_recommend | other | fact
    rules: tuple[str, ...]


@attrs.frozen
class Graph:
    features: tuple[str, ...]
    facts: tuple[str, ...]
    interventions: tuple[str, ...]
    edges: tuple[Edge, ...]
    labels: dict[str, str]


def graph(ruleset: RuleSet) -> Graph:
    """The feature -> (fact ->) intervention edges of a rule set's live rules."""
    found: dict[tuple[str, str, str], list[str]] = {}
    live = ruleset.live_rules
    for rule in live:
        sources = [f"feature:{f}" for f in referenced_features(rule.when)]
        sources += [f"fact:{f}" for f in referenced_facts(rule.when)]
        for action in rule.then:
            if isinstance(action, Conclude):
                target, kind = f"fact:{action.fact}", "fact"
            else:
                iv = action_intervention(action)
                if iv is None:
                    continue
                target = f"intervention:{iv}"
                kind = (
                    "recommend"
                    if isinstance(action, Recommend)
                    else "not_recommend"
                    if isinstance(action, NotRecommend)
                    else "other"
                )
            for source in sources:
                ids = found.setdefault((source, target, kind), [])
                if rule.id not in ids:
                    ids.append(rule.id)
    used = {key for s, t, _ in found for key in (s, t)}
    features = tuple(f for f in ruleset.features if f"feature:{f}" in used)
    facts = tuple(f for f in ruleset.facts if f"fact:{f}" in used)
    interventions = tuple(i for i in ruleset.interventions if f"intervention:{i}" in used)
    labels = {f"feature:{f}": feature_label(f) for f in features}
    labels |= {f"fact:{f}": f.replace("_", " ") for f in facts}
    labels |= {f"intervention:{i}": ruleset.interventions[i].title for i in interventions}
    edges = tuple(Edge(s, t, k, tuple(ids)) for (s, t, k), ids in found.items())
    return Graph(features, facts, interventions, edges, labels)


_WIDTH, _BOX_W, _BOX_H, _ROW = 960, 230, 22, 30
_COLUMNS = {"feature": 10, "fact": 365, "intervention": 720}


def _short(text: str, limit: int = 32) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def svg(g: Graph) -> Markup:
    """The graph as an inline SVG element (no external assets)."""
    columns = {"feature": g.features, "fact": g.facts, "intervention": g.interventions}
    rows = max((len(c) for c in columns.values()), default=0)
    top = 40
    height = top + max(rows, 1) * _ROW + 70
    pos: dict[str, tuple[int, int]] = {}
    for kind, names in columns.items():
        offset = top + (rows - len(names)) * _ROW // 2
        for i, name in enumerate(names):
            pos[f"{kind}:{name}"] = (_COLUMNS[kind], offset + i * _ROW)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="graph" viewBox="0 0 {_WIDTH} {height}" '
        f'width="100%" role="img" aria-labelledby="graph-title graph-desc">',
        '<title id="graph-title">Which features lead to which interventions</title>',
        '<desc id="graph-desc">Assessment features on the left, derived facts in the middle, '
        "interventions on the right; a line means a live rule tests the one and acts on the other.</desc>",
    ]
    for x, head in (
        (_COLUMNS["feature"], "Features"),
        (_COLUMNS["fact"], "Derived facts"),
        (_COLUMNS["intervention"], "Interventions"),
    ):
        parts.append(f'<text x="{x}" y="20" class="graph-head">{head}</text>')
    for edge in g.edges:
        if edge.source not in pos or edge.target not in pos:
            continue
        (x1, y1), (x2, y2) = pos[edge.source], pos[edge.target]
        shift = _SHIFT[edge.kind]  # edges of different kinds between the same nodes stay apart
        y1 += _BOX_H // 2 + shift
        y2 += _BOX_H // 2 + shift
        if x1 == x2:  # fact to fact: a loop out to the right
            sx, ex = x1 + _BOX_W, x2 + _BOX_W
            path = f"M{sx},{y1} C{sx + 60},{y1} {ex + 60},{y2} {ex},{y2}"
        else:
            sx, ex = x1 + _BOX_W, x2
            mid = (sx + ex) / 2
            path = f"M{sx},{y1} C{mid:.0f},{y1} {mid:.0f},{y2} {ex},{y2}"
        dash = f' stroke-dasharray="{_DASH[edge.kind]}"' if _DASH[edge.kind] else ""
        how = edge.kind.replace("_", " ")
        tip = f"{g.labels[edge.source]} → {g.labels[edge.target]} ({how}): {', '.join(edge.rules)}"
        parts.append(
            f'<path d="{path}" class="edge edge-{edge.kind}" fill="none" stroke="{_COLOURS[edge.kind]}" '
            f'stroke-width="{_WEIGHT[edge.kind]}"{dash}><title>{escape(tip)}</title></path>'
        )
    for key, (x, y) in pos.items():
        kind = key.split(":", 1)[0]
        label = g.labels[key]
        parts.append(
            f'<g class="node node-{kind}"><rect x="{x}" y="{y}" width="{_BOX_W}" height="{_BOX_H}" rx="4" '
            f'fill="#fff" stroke="#555"/><text x="{x + 8}" y="{y + 15}">{escape(_short(label))}</text>'
            f"<title>{escape(label)}</title></g>"
        )
    legend_y = top + max(rows, 1) * _ROW + 25
    x = 10
    for kind, text in (
        ("recommend", "recommends"),
        ("not_recommend", "does not recommend"),
        ("other", "caution, prompt or adjustment"),
        ("fact", "concludes a derived fact"),
    ):
        dash = f' stroke-dasharray="{_DASH[kind]}"' if _DASH[kind] else ""
        parts.append(
            f'<line x1="{x}" y1="{legend_y}" x2="{x + 40}" y2="{legend_y}" '
            f'stroke="{_COLOURS[kind]}" stroke-width="2"{dash}/>'
            f'<text x="{x + 48}" y="{legend_y + 4}" class="legend">{text}</text>'
        )
        x += 235
    parts.append("</svg>")
    return Markup("".join(parts))
