"""One lifecycle-policy run on the local ECR: what ECR does "within 24 hours", done now.

moto stores lifecycle policies but never applies them. This applies one the way ECR does, with
the resolver's own evaluator (``engine.lifecycle``, tested against every worked example of the
user guide): the repository is listed, every image is judged at ``now``, and each image the
policy selects now (``Expiring``) is deleted by digest — image, tags and all, as an expiry does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from resolver.engine.lifecycle import Evaluation, StoredImage, parse_policy
from resolver.model import RetentionKind


def expire(client: Any, repository: str, *, now: datetime) -> tuple[str, ...]:
    """Apply ``repository``'s lifecycle policy at ``now``; the digests it expired."""
    text = client.get_lifecycle_policy(repositoryName=repository)["lifecyclePolicyText"]
    listing = [
        StoredImage(d["imageDigest"], tuple(d.get("imageTags") or ()), d["imagePushedAt"])
        for page in client.get_paginator("describe_images").paginate(repositoryName=repository)
        for d in page["imageDetails"]
    ]
    evaluation = Evaluation(parse_policy(text), listing, now=now)
    expired = tuple(
        image.digest
        for image in listing
        if evaluation.verdict(image.digest).kind is RetentionKind.EXPIRING
    )
    for start in range(0, len(expired), 100):
        client.batch_delete_image(
            repositoryName=repository,
            imageIds=[{"imageDigest": digest} for digest in expired[start : start + 100]],
        )
    return expired
