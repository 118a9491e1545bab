"""``make release``: the Python packages built, checked as a user would meet them, and the tag to
push.

    python -m devkit.release build   # dist/: sdist, and the wheel built from it; checked
    python -m devkit.release tag     # what dist/ holds, and the tag to push

``build`` refuses to start from a tree a tag could not name (uncommitted changes, a version
already tagged, a changelog entry still marked unreleased); then ``python -m build`` makes the
sdist and the wheel *from the sdist* (so a file missing from the sdist breaks the build here, not
for a user), ``twine check --strict`` reads their metadata as PyPI would, and the wheel is
installed with the ``cli`` extra into a new virtualenv, where the packages import and
``resolver --version`` names this version. Nothing is uploaded: ``tag`` says what to do next.
``make release`` runs ``release-construct`` between the two, for the CDK construct's packages.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "dist"
CHANGELOG = ROOT / "CHANGELOG.md"
# Every package a user's `import` reaches: the nouns, the function's core and the CLI.
IMPORTS = (
    "import resolver, resolver.properties, resolver.cloudformation.handler, resolver.planner.cli"
)


class ReleaseError(RuntimeError):
    """A release that must not go ahead; the message says what to fix."""


def version() -> str:
    text = (ROOT / "src" / "resolver" / "__init__.py").read_text()
    found = re.search(r'^__version__ = "([^"]+)"$', text, re.MULTILINE)
    if found is None:
        raise ReleaseError("src/resolver/__init__.py has no __version__ line")
    return found[1]


def tag_of(release: str) -> str:
    return f"v{release}"


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout


def check_ready(release: str) -> None:
    """The tree is what the tag will name, the tag is new, and the changelog says it shipped."""
    changed = _git("status", "--porcelain").strip()
    if changed:
        first = changed.splitlines()[0]
        raise ReleaseError(f"uncommitted changes ({first.strip()} …): commit them, then release")
    if _git("tag", "--list", tag_of(release)).strip():
        raise ReleaseError(
            f"{tag_of(release)} is already tagged: raise __version__ in src/resolver/__init__.py"
        )
    top = re.search(r"^## (.+)$", CHANGELOG.read_text(), re.MULTILINE)
    heading = top[1].strip() if top else ""
    if heading != release:
        raise ReleaseError(
            f"CHANGELOG.md's top entry is '## {heading}', not '## {release}': "
            f"write '## {release}' (without '(unreleased)'), commit, and release again"
        )


def _run(command: Sequence[str], *, step: str) -> None:
    print(f"{step}: {' '.join(command)}")
    sys.stdout.flush()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise ReleaseError(f"{step} failed:\n{done.stdout}{done.stderr}".rstrip())


def build(release: str) -> list[Path]:
    shutil.rmtree(DIST, ignore_errors=True)
    _run([sys.executable, "-m", "build", "--outdir", str(DIST)], step="build")
    built = sorted(DIST.iterdir())
    names = [path.name for path in built]
    expected = [
        f"ecr_image_resolver-{release}-py3-none-any.whl",
        f"ecr_image_resolver-{release}.tar.gz",
    ]
    if names != expected:
        raise ReleaseError(f"dist/ holds {names}, expected {expected}")
    _run([sys.executable, "-m", "twine", "check", "--strict", *map(str, built)], step="check")
    return built


def install_check(wheel: Path, *, release: str) -> None:
    """The wheel in a virtualenv of its own, as ``pip install`` would leave it for a user."""
    with tempfile.TemporaryDirectory(prefix="resolver-release-") as folder:
        venv = Path(folder) / "venv"
        _run([sys.executable, "-m", "venv", str(venv)], step="install")
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        _run([*pip, f"{wheel}[cli]"], step="install")
        _run([str(venv / "bin" / "python"), "-c", IMPORTS], step="import")
        shown = subprocess.run(
            [str(venv / "bin" / "resolver"), "--version"],
            capture_output=True,
            text=True,
            check=False,
        )
        print(f"resolver --version: {shown.stdout.strip()}")
        if shown.stdout.strip() != f"resolver {release}":
            raise ReleaseError(f"the installed resolver says {shown.stdout + shown.stderr!r}")


def next_steps(release: str) -> str:
    tag = tag_of(release)
    listed = "\n".join(f"  dist/{path.name}" for path in sorted(DIST.iterdir()))
    return (
        f"Release {release} is built and checked:\n{listed}\n"
        f"Tag and push it (the action's users pin @{tag}):\n"
        f'  git tag -a {tag} -m "ecr-image-resolver {release}" && git push origin {tag}\n'
        "Then publish (each needs its own credentials): twine upload dist/*.whl dist/*.tar.gz;\n"
        "and, for the Serverless Application Repository, sam build, then sam package --s3-bucket "
        "<a bucket it may read> --output-template-file packaged.yaml and sam publish --template "
        "packaged.yaml."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("step", choices=["build", "tag"])
    step = parser.parse_args(argv).step
    try:
        release = version()
        if step == "build":
            check_ready(release)
            wheel, _ = build(release)
            install_check(wheel, release=release)
        else:
            print(next_steps(release))
    except ReleaseError as exc:
        print(f"make release: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
