"""``BatchGetImage``: many images in as few calls as ECR allows.

Images are grouped by registry, region and repository, split into chunks of 100 ids (the API's
limit) and fetched concurrently. Every requested image gets exactly one answer, matched to the
request by identity (tag or digest), never by position.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import field
from functools import partial
from typing import Any

from ...references import ImageRef, Repository
from ...values import frozen
from ..fanout import Deadline, Report
from .batches import read_batched
from .clients import EcrClients, timed
from .failures import NO_RESULT, READ_ERRORS, EcrFailure, FailureKind, classify, failure_from

logger = logging.getLogger(__name__)

# Asking for index types too means a multi-arch image comes back as its index (with the
# per-platform digests) instead of being converted; the single-image types keep plain images
# working.
ACCEPTED_MEDIA_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)


@frozen
class FetchedImage:
    """An image ECR returned: its digest and manifest document."""

    digest: str
    media_type: str | None = None
    manifest: str | None = field(default=None, repr=False)


Answer = FetchedImage | EcrFailure


def fetch_images(
    refs: Iterable[ImageRef], *, clients: EcrClients, deadline: Deadline
) -> Report[ImageRef, Answer]:
    """Look up every image in ``refs``, every call within ``deadline``."""
    return read_batched(
        refs,
        repository=lambda ref: ref.repository,
        key=_sort_key,
        read=partial(_fetch, clients),
        deadline=deadline,
    )


def _sort_key(ref: ImageRef) -> str:
    return f"t:{ref.tag}" if ref.tag else f"d:{ref.digest}"


def _wire_id(ref: ImageRef) -> dict[str, str]:
    return {"imageTag": ref.tag} if ref.tag else {"imageDigest": ref.digest or ""}


def _fetch(
    clients: EcrClients, repo: Repository, chunk: Sequence[ImageRef]
) -> dict[ImageRef, Answer] | EcrFailure:
    with timed(logger, "BatchGetImage", repository=repo.name, ids=len(chunk)):
        try:
            response = clients.for_registry(repo.registry).batch_get_image(
                registryId=repo.registry.account_id,
                repositoryName=repo.name,
                imageIds=[_wire_id(ref) for ref in chunk],
                acceptedMediaTypes=list(ACCEPTED_MEDIA_TYPES),
            )
        except READ_ERRORS as exc:
            return failure_from(exc)
    return match_response(chunk, response)


def match_response(
    chunk: Sequence[ImageRef], response: Mapping[str, Any]
) -> dict[ImageRef, Answer]:
    """Pair each requested image with its image or failure entry, by tag or digest."""
    found: dict[tuple[str, str], FetchedImage] = {}
    for image in response.get("images", []):
        image_id = image.get("imageId", {})
        fetched = FetchedImage(
            digest=str(image_id.get("imageDigest") or ""),
            media_type=image.get("imageManifestMediaType"),
            manifest=image.get("imageManifest"),
        )
        for id_field in ("imageTag", "imageDigest"):
            if image_id.get(id_field):
                found[(id_field, image_id[id_field])] = fetched
    failed: dict[tuple[str, str], EcrFailure] = {}
    for failure in response.get("failures", []):
        entry = EcrFailure(
            str(failure.get("failureCode", "Unknown")), str(failure.get("failureReason") or "")
        )
        for id_field, value in failure.get("imageId", {}).items():
            failed.setdefault((id_field, value), entry)

    result: dict[ImageRef, Answer] = {}
    claimed: set[int] = set()
    for ref in chunk:
        key = ("imageTag", ref.tag) if ref.tag else ("imageDigest", ref.digest or "")
        if key in found:
            result[ref] = found[key]
        elif key in failed:
            result[ref] = failed[key]
            claimed.add(id(failed[key]))
    unmatched = [ref for ref in chunk if ref not in result]
    if unmatched:
        unclaimed = [f for f in dict.fromkeys(failed.values()) if id(f) not in claimed]
        result.update(_attribute_unidentified(unmatched, unclaimed))
    return result


def _attribute_unidentified(
    unmatched: list[ImageRef], unclaimed: list[EcrFailure]
) -> dict[ImageRef, Answer]:
    """Requested ids that ECR's answer does not name.

    Real ECR echoes each requested id in ``images`` or ``failures``. moto (the local emulator)
    answers a missing *digest* with ``imageId: {imageTag: "null"}``. When every unnamed failure is
    ImageNotFound and there are exactly as many as unnamed ids, each of those ids must be one of
    them: that is a set argument, not a positional guess. Anything else stays a lookup failure,
    because only a definite "not found" may ever mean "build needed".
    """
    if (
        unclaimed
        and len(unclaimed) == len(unmatched)
        and all(classify(f.code) is FailureKind.IMAGE_NOT_FOUND for f in unclaimed)
    ):
        return dict.fromkeys(unmatched, unclaimed[0])
    return dict.fromkeys(unmatched, NO_RESULT)
