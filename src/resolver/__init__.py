"""Resolve container images in Amazon ECR to digest-pinned URIs.

The core (``spec`` → ``ecr_query`` → ``resolve``) knows nothing of CloudFormation; ``app`` (the
Lambda custom resource) and ``cli`` are thin shells over it.
"""

__version__ = "0.1.0"
