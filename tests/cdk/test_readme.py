"""The README's CDK examples are excerpts of the tested example files: each block that follows an
``<!-- example: <file> -->`` marker must equal the file's ``README: begin``/``README: end``
regions (dedented, joined by an elision line). cdk/test/example.test.ts and test_examples.py
synthesize the files; ``npm test`` type-checks the TypeScript one with tsc. Pure: no Node.js.

``python -m tests.cdk.test_readme`` rewrites the README's blocks from the files.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
BLOCK = re.compile(r"<!-- example: (?P<path>\S+) -->\n```(?P<lang>\w+)\n(?P<body>.*?)```\n", re.S)
COMMENT = {".ts": "//", ".py": "#"}


def excerpt(path: Path) -> str:
    """The file's README regions, each dedented, joined by an elision line."""
    comment = COMMENT[path.suffix]
    regions: list[list[str]] = []
    current: list[str] | None = None
    for line in path.read_text().splitlines():
        marker = line.strip()
        if marker == f"{comment} README: begin":
            current = []
        elif marker == f"{comment} README: end":
            assert current is not None, f"{path}: README: end without a begin"
            regions.append(current)
            current = None
        elif current is not None:
            current.append(line)
    assert regions and current is None, f"{path}: no complete README: begin/end region"
    parts = [textwrap.dedent("\n".join(region)).strip("\n") for region in regions]
    return f"\n\n{comment} …\n\n".join(parts) + "\n"


def test_the_readmes_cdk_examples_are_the_tested_files() -> None:
    blocks = list(BLOCK.finditer(README.read_text()))
    assert {block["path"] for block in blocks} == {
        "examples/cdk-typescript/cloudtak-stack.ts",
        "examples/cdk-python/cloudtak_stack.py",
    }
    for block in blocks:
        assert block["body"] == excerpt(ROOT / block["path"]), (
            f"README's block for {block['path']} differs from the file's README regions: "
            "python -m tests.cdk.test_readme rewrites it"
        )


def main() -> None:
    text = README.read_text()
    for block in reversed(list(BLOCK.finditer(text))):
        start, end = block.span("body")
        text = text[:start] + excerpt(ROOT / block["path"]) + text[end:]
    README.write_text(text)


if __name__ == "__main__":
    main()
