"""``Custom::ImageResolver`` for the AWS CDK in Python: ``from resolver_cdk import ImageResolver``.

The construct is written once, in TypeScript (``cdk/lib``), and compiled for Python by jsii into
the package ``ecr_image_resolver_cdk`` (distribution ``ecr-image-resolver-cdk``; ``make cdk``
builds it from a checkout). This module keeps the import path of 0.2.0's hand-written construct;
the API is the same, with the enums now its own (``resolver_cdk.OnMissing``, not
``resolver.model.OnMissing``). The properties are checked at synth time with the resolver's rules
(``cdk/lib/rules.ts``, checked against ``resolver.properties``).
"""

try:
    from ecr_image_resolver_cdk import (
        Image,
        ImageResolver,
        ImageResolverProps,
        LambdaImageOptions,
        OnLockMismatch,
        OnMissing,
        OnRetentionRisk,
        OnRollbackTargetMissing,
        OnUnsigned,
        OnVulnerable,
        Protect,
        PullOptions,
        Severity,
        SignedBy,
        TagOrder,
    )
except ModuleNotFoundError as exc:  # pragma: no cover - the message is the point
    if exc.name != "ecr_image_resolver_cdk":
        raise
    raise ModuleNotFoundError(
        "resolver_cdk needs the construct package ecr-image-resolver-cdk, built from cdk/ with "
        "Node.js: run `make cdk` in a checkout (it installs it into .venv), or pip install "
        "cdk/dist/python/ecr_image_resolver_cdk-*.whl into your environment",
        name=exc.name,
    ) from exc

__all__ = [
    "Image",
    "ImageResolver",
    "ImageResolverProps",
    "LambdaImageOptions",
    "OnLockMismatch",
    "OnMissing",
    "OnRetentionRisk",
    "OnRollbackTargetMissing",
    "OnUnsigned",
    "OnVulnerable",
    "Protect",
    "PullOptions",
    "Severity",
    "SignedBy",
    "TagOrder",
]
