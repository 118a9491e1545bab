"""The README's response-budget diagram, drawn from the capacity the code has.

The figures are ``devkit.capacity``'s (found by construction, the same as the README's table), so
the picture cannot drift from the code: ``tests/docs/test_diagrams.py`` fails when the README's
diagram is not this one.

    python -m devkit.diagrams        # print the Mermaid block
"""

from __future__ import annotations

from collections.abc import Sequence

from resolver.model import DEFAULT_ATTRIBUTES, Attribute

from .capacity import CHOICES, capacity


def _span(first: int, *, last: int) -> str:
    return str(first) if first == last else f"{first}\N{EN DASH}{last}"


def _chain(attributes: Sequence[Attribute], *, key: str) -> list[str]:
    edge = capacity(attributes)
    stages = [(1, edge.full, "rollback record Full")]
    if edge.abbreviated > edge.full:
        stages.append((edge.full + 1, edge.abbreviated, "record Abbreviated"))
    if edge.most > edge.abbreviated:
        stages.append((edge.abbreviated + 1, edge.most, "record Dropped"))
    nodes = [
        f'{key}{number}["{_span(first, last=last)} images<br/>{what}"]'
        for number, (first, last, what) in enumerate(stages)
    ]
    nodes.append(
        f'{key}x["{edge.most + 1} or more<br/>FAILED, plan exits 2:<br/>split them"]:::refused'
    )
    if attributes == DEFAULT_ATTRIBUTES:
        title = "Attributes: default (Uri, Digest, Status, BuildRequired)"
    else:
        title = "Attributes: [" + ", ".join(attribute.value for attribute in attributes) + "]"
    return [
        f'  subgraph {key}["{title}"]',
        "    direction LR",
        "    " + " --> ".join(nodes),
        "  end",
    ]


def budget() -> str:
    """How many images one resource answers, and with which rollback record, per choice."""
    lines = ["flowchart TB"]
    keys = [f"c{number}" for number in range(len(CHOICES))]
    for key, attributes in zip(keys, CHOICES, strict=True):
        lines.extend(_chain(attributes, key=key))
    lines.append("  " + " ~~~ ".join(keys))  # unseen links: one choice above the next
    lines.append("  classDef refused stroke-dasharray: 4 3")
    return "\n".join(lines)


if __name__ == "__main__":
    print(f"```mermaid\n{budget()}\n```")
