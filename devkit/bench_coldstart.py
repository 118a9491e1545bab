"""``make bench``, parts 2 and 3: what a cold start costs, measured the way Lambda pays it.

Part 2 runs the *built* artifact (``src/Makefile``, what ``sam build`` packages) in fresh
interpreters: the real handler on ``events/create.json``, timed from the first line of the
process until botocore is about to send the first ECR request (a ``before-send`` hook records
the time and ends the process). That is everything a cold invocation pays before ECR can answer:
imports, the event, validation, crhelper, the first client. The floor is what any Python Lambda
calling ECR pays to the same point: ``import boto3``, one ECR client, one request. Both sides run
interleaved, with bytecode for every module (Lambda's runtime ships it for boto3; ``src/Makefile``
compiles ours), on this Python and on the runtime's (3.13) when the machine has it.

Part 3 times the planner: ``resolver --help`` as a whole process (a fresh interpreter, start-up
and exit included, timed from this process) against the floor every Python command pays
(``python -c pass``); then, inside fresh interpreters, the imports of ``--help`` and of
``resolver plan`` against ``import boto3``.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from . import sam
from .ecr_emulator import FAKE_CREDENTIALS, REGION
from .events import EVENTS_DIR

RUNS = 21
TARGET = 1.15  # cold invocation / floor, at most
HELP_TARGET_MS = 60.0  # `resolver --help`, the whole process, at most
ROOT = Path(__file__).resolve().parent.parent

# Runs in the child. Records the time when the first ECR request is about to be sent, then ends
# the process: nothing after that point is what this part measures.
_HOOK = """
import time
_started = time.perf_counter()
import os, botocore

def _first_send(**kwargs):
    print(f"ELAPSED {{(time.perf_counter() - _started) * 1000:.3f}}", flush=True)
    os._exit(0)

botocore.register_initializer(lambda session: session.register("before-send.ecr", _first_send))
"""
# (doubled braces: these templates go through str.format)

_FLOOR = (
    _HOOK
    + """
import boto3
boto3.client("ecr", region_name="{region}").batch_get_image(
    repositoryName="app", imageIds=[{{"imageTag": "api-1"}}]
)
"""
)

_OURS = (
    _HOOK
    + """
import json
from resolver.cloudformation.app import handler

class Context:
    invoked_function_arn = "arn:aws:lambda:{region}:123456789012:function:image-resolver"
    aws_request_id = "cold-start"
    def get_remaining_time_in_millis(self):
        return 120_000

handler(json.load(open({event!r})), Context())
"""
)

_IMPORT = """
import time
_started = time.perf_counter()
{statement}
print(f"ELAPSED {{(time.perf_counter() - _started) * 1000:.3f}}", flush=True)
"""


def _child_env(pythonpath: list[Path], pycache: Path | None) -> dict[str, str]:
    """A clean environment, as a Lambda has (fake credentials, no endpoint).

    Without ``pycache``, nothing is written (Lambda's /var/task is read-only): modules run from
    the bytecode they ship with. With it, a writable cache gives bytecode to modules that have
    none for this Python after the untimed first run.
    """
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": os.pathsep.join(str(p) for p in pythonpath),
        "POWERTOOLS_SERVICE_NAME": "image-resolver",
        "POWERTOOLS_METRICS_NAMESPACE": "ImageResolver",
        "IMAGE_RESOLVER_LOCAL": "true",
        **FAKE_CREDENTIALS,
    }
    if pycache is None:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    else:
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


def _elapsed_ms(python: str, code: str, env: Mapping[str, str]) -> float:
    child = subprocess.run(
        [python, "-c", code], env=dict(env), capture_output=True, text=True, check=False
    )
    marks = [line for line in child.stdout.splitlines() if line.startswith("ELAPSED ")]
    if not marks:
        raise RuntimeError(f"{python} did not reach the mark:\n{child.stdout}\n{child.stderr}")
    return float(marks[-1].split()[1])


def _process_ms(python: str, code: str, env: Mapping[str, str]) -> float:
    """ms of a whole fresh interpreter running ``code``: start-up, the code, exit."""
    started = time.perf_counter()
    child = subprocess.run(
        [python, "-c", code], env=dict(env), capture_output=True, text=True, check=False
    )
    elapsed = (time.perf_counter() - started) * 1000
    if child.returncode != 0:
        raise RuntimeError(f"{python} -c {code!r} failed:\n{child.stderr}")
    return elapsed


def _interleaved(
    python: str,
    codes: Mapping[str, str],
    env: Mapping[str, str],
    *,
    measure: Callable[[str, str, Mapping[str, str]], float] = _elapsed_ms,
) -> dict[str, list[float]]:
    """ms per code and round: one untimed run each (bytecode, page cache), then RUNS rounds."""
    for code in codes.values():
        measure(python, code, env)
    samples: dict[str, list[float]] = {name: [] for name in codes}
    for _ in range(RUNS):  # interleaved, so drift in machine load hits every variant alike
        for name, code in codes.items():
            samples[name].append(measure(python, code, env))
    return samples


def _paired_ratio(ours: list[float], floor: list[float]) -> float:
    """The median of each round's ratio: a round's two runs are seconds apart, so a burst of
    load on a shared machine moves both, where a ratio of two medians can take its numerator
    from a busy minute and its denominator from a quiet one."""
    return statistics.median(o / f for o, f in zip(ours, floor, strict=True))


def _build(artifact: Path, runtime_python: str) -> None:
    """The artifact exactly as ``sam build`` makes it (the same Makefile target)."""
    built = subprocess.run(
        [
            "make",
            "--silent",
            "-C",
            str(ROOT / "src"),
            "build-ResolverFunction",
            f"ARTIFACTS_DIR={artifact}",
            f"PYTHON={sys.executable}",
            f"RUNTIME_PYTHON={runtime_python}",
        ],
        env=sam.runtime_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if built.returncode != 0:
        raise RuntimeError(f"building the artifact failed:\n{built.stdout}{built.stderr}")


def _interpreters() -> list[tuple[str, dict[str, str]]]:
    """This Python, and the runtime's when the machine has it (pyenv shims need PYENV_VERSION)."""
    found: list[tuple[str, dict[str, str]]] = [(sys.executable, {})]
    runtime_env = sam.runtime_env()
    if sam.runtime_python_found():
        extra = (
            {"PYENV_VERSION": runtime_env["PYENV_VERSION"]}
            if "PYENV_VERSION" in runtime_env
            else {}
        )
        found.append((f"python{sam.RUNTIME}", extra))
    return found


def _version(python: str, env: Mapping[str, str]) -> str:
    return subprocess.run(
        [python, "-c", "import platform; print(platform.python_version())"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def cold_start_bench() -> None:
    # boto3 for the child comes from this environment (the Lambda runtime provides its own).
    site_packages = Path(sysconfig.get_paths()["purelib"])
    event = EVENTS_DIR / "create.json"
    print(
        f"\n2. Cold start before the first ECR call: the built artifact, median of {RUNS} fresh "
        "interpreters, interleaved"
    )
    for python, extra in _interpreters():
        with tempfile.TemporaryDirectory(prefix="resolver-coldstart-") as folder:
            artifact = Path(folder) / "function"
            _build(artifact, python)
            # This environment's packages carry bytecode for this Python only; another Python
            # gets a cache, filled by the untimed first run, for them (and so for ours too).
            pycache = None if python == sys.executable else Path(folder) / "pycache"
            env = {**_child_env([artifact, site_packages], pycache), **extra}
            runs = _interleaved(
                python,
                {
                    "ours": _OURS.format(region=REGION, event=str(event)),
                    "floor": _FLOOR.format(region=REGION),
                    "app": _IMPORT.format(statement="import resolver.cloudformation.app"),
                    "boto3": _IMPORT.format(statement="import boto3"),
                },
                env,
            )
        ratio = _paired_ratio(runs["ours"], runs["floor"])
        verdict = "PASS" if ratio <= TARGET else "MISS"
        ms = {name: statistics.median(values) for name, values in runs.items()}
        print(f"   Python {_version(python, extra)}")
        print(f"     handler on create.json until its first ECR request   {ms['ours']:6.0f} ms")
        print(f"     floor: import boto3, a client, its first request      {ms['floor']:6.0f} ms")
        print(
            f"     cold invocation / floor   {ratio:5.2f}x   target <= {TARGET:g}x   {verdict}"
            f"   (median of per-round ratios; min {min(runs['ours']):.0f} vs "
            f"{min(runs['floor']):.0f} ms)"
        )
        print(
            f"     of which imports: resolver.cloudformation.app {ms['app']:.0f} ms "
            f"vs import boto3 {ms['boto3']:.0f} ms"
        )


def planner_bench() -> None:
    with tempfile.TemporaryDirectory(prefix="resolver-planner-") as folder:
        env = _child_env([ROOT / "src"], Path(folder) / "pycache")
        # What the console script runs; argparse ends it with SystemExit(0) after printing.
        processes = _interleaved(
            sys.executable,
            {"help": "from resolver.planner.cli import main; main(['--help'])", "floor": "pass"},
            env,
            measure=_process_ms,
        )
        help_code = _IMPORT.format(
            statement="import contextlib, io\n"
            "from resolver.planner.cli import main\n"
            "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
            "    main(['--help'])"
        )
        plan_imports = (
            "import resolver.planner.cli, resolver.planner.plan, resolver.engine, "
            "resolver.planner.template"
        )
        runs = _interleaved(
            sys.executable,
            {
                "help": help_code,
                "plan": _IMPORT.format(statement=plan_imports),
                "boto3": _IMPORT.format(statement="import boto3"),
            },
            env,
        )
    whole = {name: statistics.median(values) for name, values in processes.items()}
    ms = {name: statistics.median(values) for name, values in runs.items()}
    verdict = "PASS" if whole["help"] <= HELP_TARGET_MS else "MISS"
    print(f"\n3. Planner start-up, median of {RUNS} fresh interpreters, interleaved")
    print(
        f"   resolver --help, the whole process   {whole['help']:6.0f} ms   "
        f"target <= {HELP_TARGET_MS:g} ms   {verdict}"
    )
    print(
        f"   floor: python -c pass                {whole['floor']:6.0f} ms   (--help adds "
        f"{whole['help'] - whole['floor']:.0f} ms; ratio {_paired_ratio(processes['help'], processes['floor']):.2f}x)"
    )
    print("   after interpreter start:")
    print(
        f"   resolver --help                      {ms['help']:6.0f} ms   {ms['help'] / ms['boto3']:.2f}x import boto3"
    )
    print(
        f"   resolver plan: its imports           {ms['plan']:6.0f} ms   {ms['plan'] / ms['boto3']:.2f}x import boto3"
    )
    print(f"   import boto3                         {ms['boto3']:6.0f} ms")
