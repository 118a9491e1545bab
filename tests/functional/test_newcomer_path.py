"""The README's path for a newcomer, followed as written: every local command works by copy and
paste, ``make help`` lists every target, and mistakes are reported before any slow work.

The README walk: every command line of every ```bash block is sorted into what the walk does with
it — run against ``make emulator``'s program, run in a new virtualenv (the install block), a
``make`` command checked against the Makefile, the emulator's own export line — or left alone
because it needs AWS or names a placeholder. A line nothing here knows fails
``test_every_readme_command_is_walked``: a new command cannot slip into the README unchecked.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable, Iterator
from enum import Enum
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from devkit.serve import export_line
from resolver.planner.template import load_template

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
README_PORT = "127.0.0.1:5000"
BIN = Path(sys.executable).parent


class Walk(Enum):
    """What the README walk does with one command line."""

    EMULATOR = "run against make emulator's program"
    INSTALL = "run, with its block, in a new virtualenv"
    MAKE = "make -n: the target and its variables exist"
    ENVIRONMENT = "the emulator's own export line, or the activation of .venv"
    NEEDS_AWS = "needs an AWS account: not run"
    PLACEHOLDER = "names a placeholder (<owner>, <commit>, /path/to/checkout): not run"
    UNKNOWN = "unknown to the walk"


# Lines that need an AWS account: a real stack's template, a deploy, the checks around them.
NEEDS_AWS = (
    "sam deploy",
    "npm run deploy",
    "resolver plan --template template.yaml",
    "overrides=$(resolver plan",
    "ctx=$(resolver plan",
    "case $? in",
    "resolver in-use --output json >",  # the stacks of a real account
    "ecrm ",
)
INSTALL = ("python3 -m venv ", "pip install ", "resolver --version")
PLACEHOLDER = re.compile(r"<[a-z][a-z-]*>|/path/to/")


def readme_bash_blocks(markdown: str = README) -> list[list[str]]:
    """Each ```bash block as its command lines: continuations joined, comments and blanks gone."""
    blocks = []
    for block in re.findall(r"^```bash\n(.*?)^```$", markdown, re.DOTALL | re.MULTILINE):
        lines = [line.split("  #")[0].strip() for line in block.replace("\\\n", " ").splitlines()]
        blocks.append([line for line in lines if line and not line.startswith("#")])
    return blocks


# A block with one of these deploys to AWS: its other lines (zip the build, a loop over regions,
# synthesize the stack first) are steps of that deploy, not run either.
DEPLOYS = ("aws ", "sam deploy", "npm run deploy", "npx cdk deploy")

# In order: the first rule a line matches decides.
RULES: tuple[tuple[Callable[[str, list[str]], bool], Walk], ...] = (
    (lambda line, _: README_PORT in line, Walk.EMULATOR),
    (lambda line, _: PLACEHOLDER.search(line) is not None, Walk.PLACEHOLDER),
    (lambda line, _: line.startswith("make "), Walk.MAKE),
    (lambda line, _: line.startswith(NEEDS_AWS), Walk.NEEDS_AWS),
    (lambda _, block: any(other.lstrip().startswith(DEPLOYS) for other in block), Walk.NEEDS_AWS),
    (lambda line, _: line in (export_line(), ". .venv/bin/activate"), Walk.ENVIRONMENT),
    (lambda line, _: line.startswith(INSTALL), Walk.INSTALL),
)


def walk(line: str, *, block: list[str] | None = None) -> Walk:
    """What the walk does with ``line``, a line of ``block`` (the line alone when not given)."""
    lines = [line] if block is None else block
    return next((kind for matches, kind in RULES if matches(line, lines)), Walk.UNKNOWN)


def readme_lines(kind: Walk) -> list[str]:
    blocks = readme_bash_blocks()
    return [line for block in blocks for line in block if walk(line, block=block) is kind]


def readme_commands_needing_the_emulator() -> list[str]:
    """Command lines of the README's bash blocks that name the emulator's address."""
    return readme_lines(Walk.EMULATOR)


def run(*command: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )


def bash(script: str, *, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    """A README line or block, pasted into bash in the checkout."""
    return subprocess.run(
        ["bash", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def emulator() -> Iterator[tuple[int, dict[str, str], subprocess.Popen[str]]]:
    """``make emulator``'s program on a free port: (port, what it says to export, the process)."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "devkit.serve", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    announced = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        announced.append(line)
        if line.startswith("Ctrl-C stops the emulator") or not line:
            break
    exports = next(line for line in announced if line.strip().startswith("export "))
    environment = dict(pair.split("=", 1) for pair in exports.split()[1:])
    yield port, environment, process
    if process.poll() is None:
        process.kill()
        process.wait()


def test_every_readme_command_is_walked() -> None:
    walked = {line: walk(line, block=block) for block in readme_bash_blocks() for line in block}
    assert [line for line, kind in walked.items() if kind is Walk.UNKNOWN] == []
    kinds = set(walked.values())
    assert {Walk.EMULATOR, Walk.INSTALL, Walk.MAKE, Walk.ENVIRONMENT, Walk.NEEDS_AWS} <= kinds
    commands = readme_commands_needing_the_emulator()
    assert any(command.startswith("resolver invoke") for command in commands)
    assert any(command.startswith("resolver plan") for command in commands)


def test_the_walk_sorts_what_it_cannot_run() -> None:
    assert walk("sam deploy --parameter-overrides $overrides") is Walk.NEEDS_AWS
    assert walk('pip install "x @ git+https://github.com/<owner>/x@<commit>"') is Walk.PLACEHOLDER
    assert walk("make demo") is Walk.MAKE
    assert walk("resolver plan --template mine.yaml") is Walk.UNKNOWN  # must be placed by hand
    deploy = ["make build", "zip -qr f.zip .", "aws s3 cp f.zip s3://bucket/f.zip"]
    assert [walk(line, block=deploy) for line in deploy] == [Walk.MAKE, *[Walk.NEEDS_AWS] * 2]
    markdown = "```bash\na \\\n  b   # why\n# alone\n\nc\n```\n```yaml\nd\n```\n"
    assert readme_bash_blocks(markdown) == [["a    b", "c"]]


@pytest.mark.parametrize("command", readme_lines(Walk.MAKE))
def test_each_readme_make_command_names_a_real_target(command: str) -> None:
    """A dry run: the target exists and its variables make sense; nothing is installed or built.
    Each target's behaviour has its own tests (the demo below; build, deploy, release and
    invoke in tests/e2e)."""
    target = command.split()[1]
    assert target in _make_targets()
    result = run("make", "--no-print-directory", "-n", *command.split()[1:])
    assert result.returncode == 0, result.stderr


def test_the_readme_exports_what_the_emulator_announces(
    emulator: tuple[int, dict[str, str], subprocess.Popen[str]],
) -> None:
    _, announced, _ = emulator
    (exported,) = [line for line in readme_lines(Walk.ENVIRONMENT) if line.startswith("export")]
    assert dict(pair.split("=", 1) for pair in exported.split()[1:]) == announced


def test_the_readme_install_block_installs_a_working_cli(tmp_path: Path) -> None:
    """The install block, copied as a whole into bash, with a home of its own (its virtualenv
    goes there): pip builds the checkout and ``resolver --version`` answers."""
    (block,) = [block for block in readme_bash_blocks() if walk(block[0]) is Walk.INSTALL]
    assert all(walk(line) is Walk.INSTALL for line in block)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON"))},
        "HOME": str(tmp_path),
    }
    result = bash("set -eu\n" + "\n".join(block), env=env, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    from resolver import __version__

    assert result.stdout.strip().splitlines()[-1] == f"resolver {__version__}"


def test_the_readme_git_install_names_a_commit_pip_can_install(tmp_path: Path) -> None:
    """The git form, with this checkout for ``<owner>``'s repository and its HEAD for ``<commit>``."""
    (line,) = [line for line in readme_lines(Walk.PLACEHOLDER) if "git+https://" in line]
    (spec,) = shlex.split(line)[2:]
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    url = "git+https://github.com/<owner>/ecr-image-resolver@<commit>"
    assert Requirement(spec).name == "ecr-image-resolver" and spec.endswith(url)
    local = spec.replace(url, f"git+file://{ROOT}@{head}")
    venv = tmp_path / "venv"
    # --upgrade-deps: the pip a venv starts with rejects git+file URLs (no host), not git+https.
    subprocess.run(
        [sys.executable, "-m", "venv", "--upgrade-deps", str(venv)], check=True, timeout=300
    )
    installed = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", local],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert installed.returncode == 0, installed.stderr
    shown = subprocess.run(
        [str(venv / "bin" / "resolver"), "--version"], capture_output=True, text=True, check=False
    )
    assert shown.stdout.startswith("resolver ")


def test_the_first_screen_shows_what_the_resolver_answers(
    emulator: tuple[int, dict[str, str], subprocess.Popen[str]], tmp_path: Path
) -> None:
    """The six lines before/after: those properties, resolved against the emulator, give the URI
    the last line shows (its digest elided in the middle)."""
    snippet = re.search(r"```yaml\n(Images:.*?)```", README, re.DOTALL)
    assert snippet is not None and README.index(snippet[0]) < README.index("## Contents")
    lines = snippet[1].splitlines()
    assert len(lines) == 6 and "!GetAtt Images.Api.Uri" in lines[4]
    shown = lines[5].split("# out: ")[1]
    template = tmp_path / "first-screen.yaml"
    template.write_text("Resources:\n" + "".join(f"  {line}\n" for line in lines[:4]))
    assert "Images" in load_template(template)["Resources"]
    port, exports, _ = emulator
    result = subprocess.run(
        [str(BIN / "resolver"), "plan", "--template", str(template), "--output", "json",
         "--endpoint-url", f"http://127.0.0.1:{port}"],
        env={**os.environ, **exports},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (image,) = json.loads(result.stdout)["images"]
    head, tail = shown.split("…")
    assert image["uri"].startswith(head) and image["uri"].endswith(tail)


@pytest.mark.parametrize("command", readme_commands_needing_the_emulator())
def test_each_readme_command_works_against_make_emulator(
    emulator: tuple[int, dict[str, str], subprocess.Popen[str]], command: str
) -> None:
    port, exports, _ = emulator
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        **exports,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
    }
    result = bash(command.replace(README_PORT, f"127.0.0.1:{port}"), env=env, timeout=120)
    # 0 all found, 3 build needed, 6 invoke answered FAILED: answers. 1, 2, 4 are dead ends.
    assert result.returncode in (0, 3, 6), result.stderr
    assert "Traceback" not in result.stderr


def test_the_emulator_stops_on_ctrl_c(
    emulator: tuple[int, dict[str, str], subprocess.Popen[str]],
) -> None:
    _, _, process = emulator
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=15) == 0
    assert process.stderr is not None
    assert "emulator stopped" in process.stderr.read()


def test_the_emulator_says_when_its_port_is_taken() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        result = run(sys.executable, "-m", "devkit.serve", "--port", str(port))
    assert result.returncode == 2
    assert f"127.0.0.1:{port} is in use" in result.stderr
    assert f"PORT={port + 1} make emulator" in result.stderr


def _make_targets() -> set[str]:
    makefile = (ROOT / "Makefile").read_text().replace("\\\n", " ")
    phony = re.search(r"^\.PHONY:(.*)$", makefile, re.MULTILINE)
    assert phony is not None
    return set(phony.group(1).split())


def test_make_help_lists_every_target() -> None:
    result = run("make", "--no-print-directory", "help")
    listed = {line.split()[1] for line in result.stdout.splitlines() if line.startswith("make ")}
    assert listed == _make_targets() - {"help"}
    defined = set(re.findall(r"^([a-z][a-z-]*):", (ROOT / "Makefile").read_text(), re.MULTILINE))
    assert defined == _make_targets()  # every target is phony, so help can list them all


def test_make_invoke_checks_the_event_before_building() -> None:
    started = time.monotonic()
    result = run("make", "--no-print-directory", "invoke", "EVENT=events/typo.json")
    assert result.returncode == 2
    assert "make invoke: no event file events/typo.json; use one of: " in result.stderr
    assert "events/create.json" in result.stderr
    assert "Traceback" not in result.stderr and "sam build" not in result.stderr
    assert time.monotonic() - started < 10  # no setup, no build


def test_the_invoke_runner_checks_the_event_first(capsys: pytest.CaptureFixture[str]) -> None:
    from devkit.rie_invoke import main

    assert main(["events/typo.json"]) == 2
    assert capsys.readouterr().err == "make invoke: no event file events/typo.json; see events/\n"


def test_the_demo_shows_the_ci_decision_before_the_deploy() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "devkit.demo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    decision, deploy = out.index("0. CI decides before the deploy"), out.index("1. Create")
    assert decision < deploy
    plan = out[decision:deploy]
    assert "IMAGE    REPOSITORY" in plan and "Pmtiles  tak-dev-baseinfra-artifacts" in plan
    assert "exit 3: build needed" in plan
    assert "Api.Uri follows the moved tag: yes" in out


def _demo_distributions() -> set[str]:
    """Every distribution ``pip install -e '.[demo]'`` installs: the extra's requirements, as
    pyproject.toml states them, and what those require, as their installed metadata states it."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    own = canonicalize_name(project["name"])
    extras, wanted = project["optional-dependencies"], [Requirement(f"{own}[demo]")]
    found: set[str] = set()
    done: set[tuple[str, frozenset[str]]] = set()
    while wanted:
        requirement = wanted.pop()
        name, chosen = canonicalize_name(requirement.name), frozenset(requirement.extras)
        if (name, chosen) in done:
            continue
        done.add((name, chosen))
        found.add(name)
        if name == own:
            listed = project["dependencies"] + [r for e in chosen for r in extras[e]]
            wanted.extend(Requirement(raw) for raw in listed)
            continue
        for raw in metadata.requires(name) or []:
            needed = Requirement(raw)
            environments = [{"extra": extra} for extra in chosen] or [{"extra": ""}]
            if needed.marker is None or any(needed.marker.evaluate(e) for e in environments):
                wanted.append(needed)
    return found


# Python's own import log (PYTHONPROFILEIMPORTTIME): one "import time: self | total | name" line
# per module a process imports, on stderr, whichever program the process runs.
IMPORT_LOG = {"PYTHONPROFILEIMPORTTIME": "1"}


def _logged_imports(stderr: str) -> set[str]:
    found = re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s*([\w.]+)$", stderr, re.MULTILINE)
    return {name.split(".")[0] for name in found}


def _readme_flows_imports() -> set[str]:
    """What ``make demo``, ``make emulator`` and the README's commands against it import."""
    demo = subprocess.run(
        [sys.executable, "-m", "devkit.demo"],
        cwd=ROOT,
        env={**os.environ, **IMPORT_LOG},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert demo.returncode == 0, demo.stderr[-2000:]
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "devkit.serve", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, **IMPORT_LOG},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    announced = iter(server.stdout.readline, "")
    exports = next(line for line in announced if line.strip().startswith("export "))
    next(line for line in announced if line.startswith("Ctrl-C stops the emulator"))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        **dict(pair.split("=", 1) for pair in exports.split()[1:]),
        **IMPORT_LOG,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
    }
    modules = _logged_imports(demo.stderr)
    for command in readme_commands_needing_the_emulator():
        ran = bash(command.replace(README_PORT, f"127.0.0.1:{port}"), env=env, timeout=120)
        assert ran.returncode in (0, 3, 6), ran.stderr[-2000:]
        modules |= _logged_imports(ran.stderr)
    server.send_signal(signal.SIGINT)
    _, emulator_log = server.communicate(timeout=30)
    return modules | _logged_imports(emulator_log)


# Modules imported when present, and present here only because dev is: the demo runs without them.
OPTIONAL_IMPORTS = {
    "simplejson": "requests prefers it to json when it is installed",
    "jsonpointer": "jsonschema's json-pointer format checker, when it is installed",
    "_distutils_hack": "setuptools' .pth file imports it at start-up, in any venv that has it",
    "backports": "urllib3 looks for backports.zstd; the namespace is twine's backports.tarfile",
}


def test_the_demo_extra_holds_everything_the_demo_and_the_emulator_import() -> None:
    """``make demo`` installs only the ``demo`` extra: the demo, and what ``make emulator``
    serves the README's commands, must import nothing from outside it (dev's packages are
    installed here, so only this check would notice)."""
    owners = metadata.packages_distributions()
    demo = _demo_distributions()
    imported = _readme_flows_imports()
    assert {"moto", "flask", "crhelper", "aws_lambda_powertools", "yaml", "boto3"} <= imported
    outside = {
        module: owned
        for module in imported
        # No owner: the interpreter's own (__main__, _sysconfigdata_…) or an extension's parts.
        if (owned := [canonicalize_name(owner) for owner in owners.get(module, [])])
        and module not in {"resolver", "devkit", "tests", *OPTIONAL_IMPORTS}
        and not any(owner in demo for owner in owned)
    }
    assert outside == {}
