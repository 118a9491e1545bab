"""The package's layering, stated once and checked: which package may import which.

Read from the source (every ``import`` statement, resolved to absolute names) and confirmed at
run time in fresh interpreters, the way pip-tools guards its layout.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
PACKAGE = SRC / "resolver"


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str) -> set[str]:
    """Absolute names of everything ``name`` imports, at any depth of its code."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _importers(prefix: str) -> set[str]:
    """Modules that import ``prefix`` or anything under it."""
    return {
        name
        for name in MODULES
        if any(i == prefix or i.startswith(prefix + ".") for i in _imports(name))
    }


def _under(package: str) -> set[str]:
    return {name for name in MODULES if name == package or name.startswith(package + ".")}


def test_the_engine_knows_neither_shell() -> None:
    shells = _importers("resolver.cloudformation") | _importers("resolver.planner")
    assert not shells & _under("resolver.engine")


def test_nouns_and_validation_do_not_import_the_engine_or_a_shell() -> None:
    base = {"resolver", "resolver.model", "resolver.errors", "resolver.references"}
    base |= {"resolver.partitions", "resolver.platforms", "resolver.properties"}
    downstream = (
        _importers("resolver.engine")
        | _importers("resolver.cloudformation")
        | _importers("resolver.planner")
    )
    assert not downstream & base


def test_protection_writes_beside_a_read_only_engine() -> None:
    """The engine never imports protection (it stays read-only); protection reads through the
    engine's ECR modules and the model, and knows neither shell."""
    assert not _importers("resolver.protection") & _under("resolver.engine")
    allowed = (
        *("resolver.protection", "resolver.engine.ecr", "resolver.engine.fanout"),
        *("resolver.engine.lifecycle", "resolver.model", "resolver.errors", "resolver.references"),
        "resolver.values",
    )
    for module in _under("resolver.protection"):
        imported = {i for i in _imports(module) if i.startswith("resolver.")}
        strays = {i for i in imported if not any(i == a or i.startswith(a + ".") for a in allowed)}
        assert not strays, f"{module} imports {sorted(strays)}"
    assert _importers("resolver.protection.ecr_writes") <= _under("resolver.protection")


def test_formatters_depend_on_the_model_not_on_the_engine() -> None:
    for formatter in ("resolver.planner.report", "resolver.cloudformation.attributes"):
        assert not {i for i in _imports(formatter) if i.startswith("resolver.engine")}, formatter


@pytest.mark.parametrize(
    ("library", "allowed"),
    [
        ("crhelper", {"resolver.cloudformation.crhelper_adapter"}),
        ("aws_lambda_powertools", {"resolver.cloudformation.app"}),
        ("yaml", _under("resolver.planner")),
        (
            "botocore",
            _under("resolver.engine.ecr")
            | {"resolver.protection.ecr_writes"}  # the one module that writes to ECR
            | {"resolver.cloudformation.stack_status", "resolver.partitions"},  # its loader
        ),
    ],
)
def test_each_library_is_imported_only_where_it_belongs(library: str, allowed: set[str]) -> None:
    assert _importers(library) <= allowed
    assert _importers(library), f"nothing imports {library}: update this table"


def test_the_resolver_never_imports_the_cdk_construct() -> None:
    # resolver_cdk sits outside the package the Lambda ships; the core must not need it.
    assert not _importers("resolver_cdk") and not _importers("aws_cdk")
    assert not (PACKAGE / "resolver_cdk").exists()


def _run(code: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=ROOT
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_every_module_imports_on_its_own_in_a_fresh_interpreter() -> None:
    names = [name for name in MODULES if not name.endswith("__main__")]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda n: (n, _try_import(n)), names))
    assert [(name, error) for name, error in results if error] == []


def _try_import(name: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", f"import {name}"], capture_output=True, text=True, check=False
    )
    return out.stderr.strip().splitlines()[-1] if out.returncode else ""


def test_the_engine_loads_no_shell_library_at_run_time() -> None:
    loaded = _run(
        "import sys, resolver.engine, resolver.properties\n"
        "print(sorted({m.split('.')[0] for m in sys.modules}"
        " & {'crhelper', 'aws_lambda_powertools', 'yaml'}))"
    )
    assert loaded == "[]"


def test_stages_only_some_requests_need_are_not_loaded_by_the_function() -> None:
    # Cold start pays for what every request runs; these load on first use (`make bench`).
    loaded = _run(
        "import sys, resolver.cloudformation.app\n"
        "print(sorted(m for m in sys.modules if m.startswith('resolver.')"
        " and m.rsplit('.', 1)[1] in {'discovery', 'waiting', 'metadata', 'gate', 'retention',"
        " 'lifecycle', 'absence', 'lifecycle_policy', 'pull_through_cache', 'scan_findings',"
        " 'backoff', 'rollback', 'replay', 'digest_listing', 'signature', 'lock', 'replication',"
        " 'tag_hygiene', 'signing_status', 'referrers', 'replication_status', 'repositories'}))"
    )
    assert loaded == "[]"


def test_the_cli_parses_arguments_without_boto3() -> None:
    # `resolver --help` stays fast: boto3 is imported by a command, not by the parser.
    assert _run("import sys, resolver.planner.cli; print('boto3' in sys.modules)") == "False"


def test_help_loads_only_the_parser_and_its_vocabulary() -> None:
    # `resolver --help` answers within 60 ms (`make bench`): no command, model, YAML or boto3.
    loaded = _run(
        "import contextlib, io, sys\n"
        "from resolver.planner.cli import main\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['plan', '--help'])\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in"
        " {'resolver', 'boto3', 'botocore', 'yaml', 'dataclasses'}))"
    )
    assert loaded == str(
        [
            "resolver",
            "resolver.planner",
            "resolver.planner.cli",
            "resolver.planner.exit_codes",
            "resolver.planner.options",
        ]
    )


def test_importing_the_handler_creates_no_client() -> None:
    code = (
        "import boto3, botocore.session\n"
        "made = []\n"
        "original = botocore.session.Session.create_client\n"
        "def spy(self, *a, **k):\n"
        "    made.append(a[0] if a else k.get('service_name'))\n"
        "    return original(self, *a, **k)\n"
        "botocore.session.Session.create_client = spy\n"
        "import resolver.cloudformation.app\n"
        "print(made)\n"
    )
    assert _run(code) == "[]"


# Modules without a same-named unit test, and where they are tested instead.
TESTED_ELSEWHERE = {
    "resolver.cloudformation.app": "tests/functional/test_custom_resource.py (the Lambda entry)",
    "resolver.planner.cli": "tests/functional/test_cli.py (the console script end to end)",
    "resolver.planner.plan": "tests/functional/test_cli.py",
    "resolver.planner.invoke": "tests/functional/test_cli.py",
    "resolver.planner.aws": "tests/functional/test_cli.py (STS and exports over HTTP)",
    "resolver.engine.pipeline": "tests/functional/test_ecr_resolution.py",
    "resolver.engine.lookup": "tests/functional/test_ecr_resolution.py",
    "resolver.engine.discovery": "tests/functional/test_ecr_listing.py",
    "resolver.engine.metadata": "tests/functional/test_image_intelligence.py",
    "resolver.engine.retention": "tests/functional/test_retention.py (moto and Stubber)",
    "resolver.engine.ecr.lifecycle_policy": "tests/functional/test_retention.py",
    "resolver.engine.ecr.pull_through_cache": "tests/unit/engine/test_absence.py (Stubber)",
    "resolver.engine.ecr.clients": "tests/functional/conftest.py (every functional test)",
    "resolver.engine.ecr.scan_findings": "tests/functional/test_image_intelligence.py",
    "resolver.planner.exit_codes": "tests/functional/test_cli.py",
    "resolver.cloudformation.services": "tests/unit/cloudformation/test_handler.py",
    "resolver.engine.digest_listing": "tests/functional/test_rollbacks.py (abbreviated records)",
    "resolver.planner.options": "tests/functional/test_cli.py (the parser's choices and defaults)",
    "resolver.engine.signature": "tests/functional/test_vouching.py (the emulator's signing status)",
    "resolver.engine.replication": "tests/functional/test_vouching.py",
    "resolver.engine.tag_hygiene": "tests/functional/test_vouching.py",
    "resolver.engine.ecr.signing_status": "tests/functional/test_vouching.py",
    "resolver.engine.ecr.replication_status": "tests/functional/test_vouching.py",
    "resolver.protection.protect": "tests/functional/test_protection.py (tags, over HTTP)",
    "resolver.protection.release": "tests/functional/test_protection.py (the last-tag rule)",
    "resolver.protection.ecr_writes": "tests/functional/test_protection.py (PutImage, deletes)",
    "resolver.planner.in_use": "tests/functional/test_in_use.py (the stand-in and the emulator)",
}


def _expected_test(name: str) -> Path:
    *packages, module = name.split(".")[1:]
    return ROOT.joinpath("tests", "unit", *packages, f"test_{module}.py")


def _plain_modules() -> Iterator[str]:
    for name, path in MODULES.items():
        if path.name not in ("__init__.py", "__main__.py"):
            yield name


def test_unit_tests_mirror_the_package() -> None:
    untested = [
        name
        for name in _plain_modules()
        if not _expected_test(name).is_file() and name not in TESTED_ELSEWHERE
    ]
    assert untested == []
    stale = [name for name in TESTED_ELSEWHERE if _expected_test(name).is_file()]
    assert stale == [], "now has its own unit test: drop it from TESTED_ELSEWHERE"
    orphans = [
        path.relative_to(ROOT)
        for path in (ROOT / "tests" / "unit").rglob("test_*.py")
        if path.name != "test_architecture.py"
        and f"resolver.{'.'.join(path.relative_to(ROOT / 'tests' / 'unit').with_suffix('').parts)}".replace(
            ".test_", "."
        )
        not in MODULES
    ]
    assert orphans == [], "unit test files without a module of the same name"


def test_value_classes_use_the_cheap_frozen_decorator() -> None:
    # @dataclass(frozen=True) compiles its methods at import: ~0.5 ms a class of every cold
    # start. resolver.values.frozen is the same contract for nothing (its docstring says why).
    costly = [
        name
        for name, path in MODULES.items()
        if name != "resolver.values" and "@dataclass(frozen=True" in path.read_text()
    ]
    assert costly == [], "use resolver.values.frozen for frozen value classes"
