"""Installing before and at a release: the GitHub Action's own install step, as GitHub runs it on
a checkout of this repository, and ``make release`` on a clone — the wheel and sdist built,
checked, installed into a new virtualenv, and the tag to push. Both reach PyPI through pip for the
dependencies (boto3, PyYAML; hatchling to build)."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import resolver

from .conftest import ROOT
from .test_make_targets import script, stamp

pytestmark = pytest.mark.e2e

ACTION = yaml.safe_load((ROOT / "action.yml").read_text())


def _tracked_copy(folder: Path) -> Path:
    """The repository's files as ``uses:`` delivers them: tracked files, no .git, no venvs."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    for relative in filter(None, listed.split("\0")):
        source, target = ROOT / relative, folder / relative
        if source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())
            target.chmod(source.stat().st_mode)
    return folder


def test_the_actions_install_step_installs_the_cli_from_its_checkout(tmp_path: Path) -> None:
    step = ACTION["runs"]["steps"][0]
    assert step["name"].startswith("Install the resolver CLI")
    checkout = _tracked_copy(tmp_path / "action")
    runner_temp, github_path = tmp_path / "runner", tmp_path / "github_path"
    runner_temp.mkdir()
    github_path.touch()
    # GitHub runs a bash step as `bash --noprofile --norc -eo pipefail {0}`.
    ran = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        env={
            "PATH": os.environ["PATH"],
            "HOME": str(tmp_path),
            "GITHUB_ACTION_PATH": str(checkout),
            "RUNNER_TEMP": str(runner_temp),
            "GITHUB_PATH": str(github_path),
        },
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    (added,) = github_path.read_text().splitlines()  # the next steps find `resolver` here
    shown = subprocess.run(
        [str(Path(added) / "resolver"), "--version"], capture_output=True, text=True, check=False
    )
    assert shown.stdout.strip() == f"resolver {resolver.__version__}"


def _release_tools() -> None:
    missing = [name for name in ("build", "twine") if importlib.util.find_spec(name) is None]
    if not missing:
        return
    reason = f"make release needs {' and '.join(missing)}: pip install -e '.[dev]' (make setup)"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def _git(clone: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=clone,
        capture_output=True,
        check=True,
    )


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """A clone of this checkout's HEAD whose .venv is this test run's Python (nothing installs)."""
    folder = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(folder)], check=True)
    venv = folder / ".venv"
    script(venv / "bin" / "python", body=f'exec "{sys.executable}" "$@"')
    stamp(*(venv / name for name in (".created", ".installed-demo", ".installed-dev")))
    return folder


def _make_release(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        # The construct's packages need a jsii build: tests/cdk checks them, not every release test.
        ["make", "--no-print-directory", "release", "RELEASE_CONSTRUCT=no"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def test_make_release_refuses_what_a_tag_could_not_name(clone: Path) -> None:
    release = resolver.__version__
    changelog = clone / "CHANGELOG.md"
    top = re.search(r"^## .+$", changelog.read_text(), re.MULTILINE)
    assert top is not None
    if top[0] == f"## {release}":  # already released: mark it unreleased to see the refusal
        changelog.write_text(changelog.read_text().replace(top[0], f"## {release} (unreleased)", 1))
        _git(clone, "commit", "-qam", "unreleased")
    refused = _make_release(clone)
    assert refused.returncode == 2
    assert f"write '## {release}' (without '(unreleased)'), commit" in refused.stderr
    changelog.write_text(changelog.read_text() + "\n")
    assert "uncommitted changes (M CHANGELOG.md" in _make_release(clone).stderr
    _git(clone, "checkout", "CHANGELOG.md")
    _git(clone, "tag", f"v{release}")
    changelog.write_text(changelog.read_text().replace(" (unreleased)", "", 1))
    _git(clone, "commit", "-qam", "release")
    assert f"v{release} is already tagged" in _make_release(clone).stderr


def test_make_release_builds_checks_and_names_the_tag(clone: Path) -> None:
    _release_tools()
    release = resolver.__version__
    changelog = clone / "CHANGELOG.md"
    changelog.write_text(
        changelog.read_text().replace(f"## {release} (unreleased)", f"## {release}", 1)
    )
    _git(clone, "commit", "-qam", f"{release}")
    made = _make_release(clone)
    assert made.returncode == 0, made.stdout + made.stderr
    assert sorted(path.name for path in (clone / "dist").iterdir()) == [
        f"ecr_image_resolver-{release}-py3-none-any.whl",
        f"ecr_image_resolver-{release}.tar.gz",
    ]
    out = made.stdout
    assert "check: " in out and "twine check --strict" in out
    assert f"resolver --version: resolver {release}" in out
    assert "release-construct:" in out  # the construct's hook ran, before the tag is named
    assert out.index("release-construct:") < out.index(f"git tag -a v{release}")
    assert f"git push origin v{release}" in out
