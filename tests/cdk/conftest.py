"""The CDK construct's tests need aws-cdk-lib and the construct package built from cdk/ (jsii),
both of which need Node.js: without them the tests are skipped with the reason, and fail under CI
(CI=true), like tests/e2e's tools."""

from __future__ import annotations

import importlib.util
import os
import shutil

import pytest


def require_cdk() -> None:
    """Call at the top of a test module, before importing aws_cdk or resolver_cdk."""
    if shutil.which("node") is None:
        missing = "aws-cdk-lib runs on jsii, which needs Node.js: install node to run the CDK tests"
    elif importlib.util.find_spec("aws_cdk") is None:
        missing = 'aws-cdk-lib is not installed: pip install -e ".[dev]" (make setup does)'
    elif importlib.util.find_spec("ecr_image_resolver_cdk") is None:
        missing = (
            "the construct package is not built: make cdk (jsii, from cdk/) builds and installs it"
        )
    else:
        return
    if os.environ.get("CI"):
        pytest.fail(missing, pytrace=False)
    pytest.skip(missing, allow_module_level=True)


# The ECR emulator of the functional tests, for the context flow (plan, then synth): the same
# fixtures, so this suite needs nothing of its own to reach it.
from tests.functional.conftest import (  # noqa: E402, F401 - fixtures, found by pytest by name
    ecr,
    ecr_servers,
    seeded,
    stacks,
    status_server,
)
