"""Resolve container images in Amazon ECR to digest-pinned URIs.

Data flows one way: raw properties → ``properties`` (a validated ``model.ResolveRequest``) →
``engine`` (grouped, batched ECR queries) → ``model.Resolution`` → CloudFormation ``Data``
(``cloudformation``, the Lambda custom resource) or a report (``planner``, the CLI). The engine
knows neither shell; both shells are thin.
"""

# The one place the version is written: pyproject.toml reads it (hatch), the Lambda's user agent and
# `resolver --version` import it; template.yaml's SemanticVersion and CHANGELOG.md's top entry must
# match it (tests/unit/test_release.py).
__version__ = "0.3.0"
