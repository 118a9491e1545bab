"""Resolve container images in Amazon ECR to digest-pinned URIs.

Data flows one way: raw properties → ``properties`` (a validated ``model.ResolveRequest``) →
``engine`` (grouped, batched ECR queries) → ``model.Resolution`` → CloudFormation ``Data``
(``cloudformation``, the Lambda custom resource) or a report (``planner``, the CLI). The engine
knows neither shell; both shells are thin.
"""

__version__ = "0.1.0"
