"""The ECR query engine: many images in as few ``BatchGetImage`` calls as ECR allows.

Images are grouped by registry, region and repository, split into chunks of 100 ids (the API's
limit) and fetched concurrently. Every requested image gets exactly one ``Lookup``, matched to the
request by identity (tag or digest), never by position. This module knows nothing of
CloudFormation.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import partial
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .bounded import run_all
from .ecr_clients import EcrClients
from .references import ImageRef, Repository

logger = logging.getLogger(__name__)

BATCH_LIMIT = 100
# What every ECR read reports for a call still running at the deadline.
TIMEOUT_CODE = "Timeout"
TIMEOUT_MESSAGE = "ECR did not answer before the time limit"

# Asking for index types too means a multi-arch image comes back as its index (with the
# per-platform digests) instead of being converted; the single-image types keep plain images
# working.
ACCEPTED_MEDIA_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)


class LookupStatus(Enum):
    FOUND = "found"
    IMAGE_NOT_FOUND = "image-not-found"
    REPOSITORY_NOT_FOUND = "repository-not-found"
    FAILED = "failed"  # anything else: access denied, throttled, network... never "missing"


@dataclass(frozen=True)
class Lookup:
    status: LookupStatus
    digest: str | None = None
    media_type: str | None = None
    manifest: str | None = field(default=None, repr=False)
    error_code: str | None = None
    error_message: str | None = None


TIMED_OUT = Lookup(LookupStatus.FAILED, error_code=TIMEOUT_CODE, error_message=TIMEOUT_MESSAGE)


@dataclass(frozen=True)
class QueryReport:
    lookups: Mapping[ImageRef, Lookup]
    calls: int


def aws_error(exc: ClientError | BotoCoreError) -> tuple[str, str]:
    """The error code and message of a failed call: ECR's own for a ClientError, the exception
    type for a botocore failure (connection refused, DNS, read timeout after retries...)."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return str(error.get("Code", "ClientError")), str(error.get("Message", ""))
    return type(exc).__name__, str(exc)


def classify(code: str) -> LookupStatus:
    """The single place an ECR error or failure code decides "absent" versus "failed"."""
    if code in ("ImageNotFound", "ImageNotFoundException"):
        return LookupStatus.IMAGE_NOT_FOUND
    if code == "RepositoryNotFoundException":
        return LookupStatus.REPOSITORY_NOT_FOUND
    return LookupStatus.FAILED


def query_images(
    refs: Iterable[ImageRef],
    *,
    clients: EcrClients,
    deadline: float | None = None,
) -> QueryReport:
    """Look up every image in ``refs``; ``deadline`` is a ``time.monotonic()`` bound."""
    tasks = _plan(refs)
    if not tasks:
        return QueryReport(lookups={}, calls=0)
    # Create clients here, in one thread: client creation is not thread-safe.
    bound = [(clients.for_region(repo.registry.region), repo, chunk) for repo, chunk in tasks]
    answers = run_all(
        [partial(_fetch, client, repo, chunk) for client, repo, chunk in bound], deadline=deadline
    )
    lookups: dict[ImageRef, Lookup] = {}
    for (_, _, chunk), answer in zip(bound, answers, strict=True):
        lookups.update(answer if answer is not None else dict.fromkeys(chunk, TIMED_OUT))
    return QueryReport(lookups=lookups, calls=len(bound))


def _plan(refs: Iterable[ImageRef]) -> list[tuple[Repository, list[ImageRef]]]:
    by_repo: dict[Repository, set[ImageRef]] = defaultdict(set)
    for ref in refs:
        by_repo[ref.repository].add(ref)
    tasks = []
    for repo in sorted(by_repo):
        ordered = sorted(by_repo[repo], key=lambda ref: (ref.tag or "", ref.digest or ""))
        tasks += [(repo, ordered[i : i + BATCH_LIMIT]) for i in range(0, len(ordered), BATCH_LIMIT)]
    return tasks


def _wire_id(ref: ImageRef) -> dict[str, str]:
    return {"imageTag": ref.tag} if ref.tag else {"imageDigest": ref.digest or ""}


def _fetch(client: Any, repo: Repository, chunk: Sequence[ImageRef]) -> dict[ImageRef, Lookup]:
    started = time.perf_counter()
    try:
        response = client.batch_get_image(
            registryId=repo.registry.account_id,
            repositoryName=repo.name,
            imageIds=[_wire_id(ref) for ref in chunk],
            acceptedMediaTypes=list(ACCEPTED_MEDIA_TYPES),
        )
    except (ClientError, BotoCoreError) as exc:
        code, message = aws_error(exc)
        return dict.fromkeys(chunk, Lookup(classify(code), error_code=code, error_message=message))
    finally:
        logger.debug(
            "BatchGetImage",
            extra={
                "repository": repo.name,
                "ids": len(chunk),
                "ms": round((time.perf_counter() - started) * 1000),
            },
        )
    return match_response(chunk, response)


def match_response(
    chunk: Sequence[ImageRef], response: Mapping[str, Any]
) -> dict[ImageRef, Lookup]:
    """Pair each requested image with its image or failure entry, by tag or digest."""
    found: dict[tuple[str, str], Lookup] = {}
    for image in response.get("images", []):
        image_id = image.get("imageId", {})
        lookup = Lookup(
            LookupStatus.FOUND,
            digest=image_id.get("imageDigest"),
            media_type=image.get("imageManifestMediaType"),
            manifest=image.get("imageManifest"),
        )
        for id_field in ("imageTag", "imageDigest"):
            if image_id.get(id_field):
                found[(id_field, image_id[id_field])] = lookup
    failed: dict[tuple[str, str], Lookup] = {}
    for failure in response.get("failures", []):
        code = str(failure.get("failureCode", "Unknown"))
        lookup = Lookup(classify(code), error_code=code, error_message=failure.get("failureReason"))
        for id_field, value in failure.get("imageId", {}).items():
            failed.setdefault((id_field, value), lookup)

    result: dict[ImageRef, Lookup] = {}
    claimed_failures: set[int] = set()
    for ref in chunk:
        key = ("imageTag", ref.tag) if ref.tag else ("imageDigest", ref.digest or "")
        if key in found:
            result[ref] = found[key]
        elif key in failed:
            result[ref] = failed[key]
            claimed_failures.add(id(failed[key]))
    unmatched = [ref for ref in chunk if ref not in result]
    if unmatched:
        unclaimed = [f for f in dict.fromkeys(failed.values()) if id(f) not in claimed_failures]
        result.update(_attribute_unidentified(unmatched, unclaimed))
    return result


def _attribute_unidentified(
    unmatched: list[ImageRef], unclaimed: list[Lookup]
) -> dict[ImageRef, Lookup]:
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
        and all(f.status is LookupStatus.IMAGE_NOT_FOUND for f in unclaimed)
    ):
        return dict.fromkeys(unmatched, unclaimed[0])
    missing_answer = Lookup(
        LookupStatus.FAILED,
        error_code="NoResult",
        error_message="ECR's answer did not mention this image",
    )
    return dict.fromkeys(unmatched, missing_answer)
