"""The construct's package (cdk/package.json): its version is the resolver's, its toolchain pinned
exactly and locked, its Python module the one resolver_cdk imports. Pure: no Node.js needed."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import resolver

CDK = Path(__file__).resolve().parents[2] / "cdk"
PACKAGE = json.loads((CDK / "package.json").read_text())
LOCK = json.loads((CDK / "package-lock.json").read_text())


def test_the_version_is_the_resolvers() -> None:
    # Written once, in resolver/__init__.py; npm and jsii read package.json, so it must agree.
    assert PACKAGE["version"] == resolver.__version__
    assert LOCK["version"] == LOCK["packages"][""]["version"] == resolver.__version__


def test_the_toolchain_is_pinned_exactly_and_locked() -> None:
    exact = re.compile(r"\d+\.\d+\.\d+")
    for name, version in PACKAGE["devDependencies"].items():
        assert exact.fullmatch(version), f"{name}: {version} is a range; pin it exactly"
        assert LOCK["packages"][""]["devDependencies"][name] == version, f"{name}: npm install"
        assert LOCK["packages"][f"node_modules/{name}"]["version"] == version


def test_the_peer_floor_is_what_the_construct_is_compiled_against() -> None:
    # jsii's advice (JSII6): build against the lowest version users may have.
    for name, floor in PACKAGE["peerDependencies"].items():
        assert floor == f"^{PACKAGE['devDependencies'][name]}"


def test_resolver_cdk_imports_the_module_jsii_generates() -> None:
    module = PACKAGE["jsii"]["targets"]["python"]["module"]
    shim = ast.parse(
        (Path(resolver.__file__).parents[1] / "resolver_cdk" / "__init__.py").read_text()
    )
    imported = {
        node.module for node in ast.walk(shim) if isinstance(node, ast.ImportFrom) and node.module
    }
    assert imported == {module}
