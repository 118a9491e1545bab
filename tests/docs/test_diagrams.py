"""The README's pictures: every Mermaid block parses with mermaid's own parser (the one GitHub's
renderer runs before drawing), and the response budget's picture states the capacity the code has,
the same as the table beside it."""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

from devkit.capacity import CHOICES, capacity
from devkit.diagrams import budget
from resolver.model import DEFAULT_ATTRIBUTES

from .conftest import CHECKER, ROOT, require_mermaid

README = (ROOT / "README.md").read_text(encoding="utf-8")


def mermaid_blocks(markdown: str) -> list[str]:
    return re.findall(r"^```mermaid\n(.*?)^```$", markdown, re.DOTALL | re.MULTILINE)


def parsed(diagrams: list[str]) -> list[dict[str, Any]]:
    """Each diagram's ``{"type": …}`` or ``{"error": …}``, from mermaid in Node."""
    node = require_mermaid()
    done = subprocess.run(
        [node, str(CHECKER / "check.mjs")],
        input=json.dumps(diagrams),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.stdout, done.stderr
    results: list[dict[str, Any]] = json.loads(done.stdout)
    assert len(results) == len(diagrams)
    return results


def _section(heading: str) -> str:
    start = README.index(f"\n{heading}\n")
    following = re.search(r"^## ", README[start + len(heading) + 2 :], re.MULTILINE)
    return README[start : start + len(heading) + 2 + (following.start() if following else 0)]


def test_every_readme_diagram_parses() -> None:
    blocks = mermaid_blocks(README)
    failures = [
        f"{block.splitlines()[0]} …: {result['error']}"
        for block, result in zip(blocks, parsed(blocks), strict=True)
        if "error" in result
    ]
    assert failures == []


def test_the_readme_draws_what_people_would_rather_look_at() -> None:
    flow = mermaid_blocks(_section("## How it fits together"))
    assert len(flow) == 1 and "resolver plan" in flow[0] and "Amazon ECR" in flow[0]
    assert "@sha256:" in flow[0]
    (grid,) = mermaid_blocks(_section("## Behaviour").split("### ")[0])
    assert "UsePreBuiltImages" in grid and "OnMissing" in grid
    rollbacks = mermaid_blocks(_section("## Rollbacks"))
    assert [block.split("\n")[0] for block in rollbacks] == ["sequenceDiagram"] * 3
    assert len(mermaid_blocks(_section("## Attributes"))) == 1  # the response budget


def test_the_checker_rejects_what_github_could_not_draw() -> None:
    results = parsed(
        [
            "flowchart LR\n  a --> \n",
            "sequenceDiagram\n  A->>B: hi\n  alt never closed\n",
            "flowchart LR\n  a --> b\n",
        ]
    )
    assert "Parse error" in results[0]["error"]
    assert "error" in results[1]
    assert results[2] == {"type": "flowchart-v2"}


def test_the_budget_diagram_is_drawn_from_the_code() -> None:
    block = re.search(
        r"<!-- budget-diagram:begin[^>]*-->\n```mermaid\n(.*?)\n```\n<!-- budget-diagram:end -->",
        README,
        re.DOTALL,
    )
    assert block is not None, "README: the budget diagram's markers are missing"
    assert block[1] == budget(), "README: redraw with python -m devkit.diagrams"


def _table_rows() -> dict[str, tuple[int, int, int]]:
    """The capacity table's rows as the README states them: choice -> (most, full, abbreviated)."""
    table = re.search(r"<!-- capacity:begin[^>]*-->\n(.*?)\n<!-- capacity:end -->", README, re.S)
    assert table is not None
    rows = {}
    for line in table[1].splitlines()[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        rows[cells[0]] = (int(cells[1].strip("*")), int(cells[2]), int(cells[3]))
    return rows


def test_the_budget_diagram_states_the_tables_numbers() -> None:
    rows = _table_rows()
    chains = re.findall(r'subgraph \w+\["Attributes: ([^"]+)"\]\n +direction LR\n(.*?)\n', budget())
    assert len(chains) == len(rows) == len(CHOICES)
    for (title, chain), (choice, stated), attributes in zip(
        chains, rows.items(), CHOICES, strict=True
    ):
        edge = capacity(attributes)
        assert stated == (edge.most, edge.full, edge.abbreviated), choice
        assert (
            (choice == "default")
            == (attributes == DEFAULT_ATTRIBUTES)
            == title.startswith("default")
        )
        most, full, abbreviated = stated
        assert f'"1\N{EN DASH}{full} images<br/>rollback record Full"' in chain
        assert ("record Abbreviated" in chain) == (abbreviated > full)
        assert ("record Dropped" in chain) == (most > abbreviated)
        assert f'"{most + 1} or more<br/>' in chain


def _anchor(heading: str) -> str:
    """GitHub's id for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_link_to_a_readme_section_finds_it() -> None:
    prose = re.sub(r"^```.*?^```$", "", README, flags=re.DOTALL | re.MULTILINE)
    anchors = {_anchor(h) for h in re.findall(r"^#{1,6} (.+)$", prose, re.MULTILINE)}
    linked = set(re.findall(r"\]\(#([^)]+)\)", README))
    assert linked - anchors == set()
    assert _anchor("CI recipe (GitHub Actions)") == "ci-recipe-github-actions"
    assert _anchor("Tag patterns and `Version: latest`") == "tag-patterns-and-version-latest"
