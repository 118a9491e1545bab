"""The CDK construct's tests need aws-cdk-lib, which runs on jsii, which needs Node.js: without
them the tests are skipped with the reason, and fail under CI (CI=true), like tests/e2e's tools."""

from __future__ import annotations

import importlib.util
import os
import shutil

import pytest


def require_cdk() -> None:
    """Call at the top of a test module, before importing aws_cdk."""
    if shutil.which("node") is None:
        missing = "aws-cdk-lib runs on jsii, which needs Node.js: install node to run the CDK tests"
    elif importlib.util.find_spec("aws_cdk") is None:
        missing = 'aws-cdk-lib is not installed: pip install -e ".[dev]" (make setup does)'
    else:
        return
    if os.environ.get("CI"):
        pytest.fail(missing, pytrace=False)
    pytest.skip(missing, allow_module_level=True)
