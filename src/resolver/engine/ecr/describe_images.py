"""``DescribeImages``, both ways ECR offers it: a repository's images (paginated), and push time,
size and tags of given digests (100 per call).

Tag patterns and ``Version: latest`` need the whole tagged listing, because ECR has no
server-side tag filter or sort; lifecycle evaluation (``Retention``) needs every active image,
tagged or not, with its pull and archive times. Listings are bounded (``MAX_LISTED_IMAGES``): a
repository past it fails fast with an error that names the fix, instead of paging until the
Lambda times out.

Without an ``imageStatus`` filter DescribeImages lists ``ACTIVE`` images only (the API reference,
``DescribeImagesFilter``): archived images are listed only when asked for by status.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from ...errors import ListingTooLargeError
from ...model import ImageDetails
from ...references import Repository
from ..fanout import Deadline, run_all
from .batches import Target, per_repository
from .clients import EcrClients
from .failures import NO_RESULT, TIMED_OUT, EcrFailure, FailureKind, failure_from

if TYPE_CHECKING:  # each is imported where it is built: a reader of one needs not the other
    from ..lifecycle import StoredImage
    from ..tag_choice import ListedImage

logger = logging.getLogger(__name__)

MAX_LISTED_IMAGES = 10_000
PAGE_SIZE = 1000  # DescribeImages' largest maxResults


# --- a repository's tagged images -----------------------------------------------------------


@dataclass(frozen=True)
class Listing:
    images: tuple[ListedImage, ...]
    pages: int  # DescribeImages calls made


def list_tagged_images(
    clients: EcrClients, repository: Repository, *, limit: int = MAX_LISTED_IMAGES
) -> Listing | EcrFailure:
    """Every tagged image of ``repository``, in ECR's order, or why ECR could not list them.

    Paging stops as soon as the count passes ``limit`` (``ListingTooLargeError``): no further
    page is requested.
    """
    started = time.perf_counter()
    listed: list[ListedImage] = []
    pages = 0
    try:
        client = clients.for_region(repository.registry.region)
        for page in _pages(client, repository, {"tagStatus": "TAGGED"}):
            pages += 1
            listed += (image for image in map(_listed, page.get("imageDetails", [])) if image)
            if len(listed) > limit:
                raise ListingTooLargeError(repository.describe(), limit)
    except (ClientError, BotoCoreError) as exc:
        return failure_from(exc)
    finally:
        logger.debug(
            "DescribeImages",
            extra={
                "repository": repository.name,
                "pages": pages,
                "images": len(listed),
                "ms": round((time.perf_counter() - started) * 1000),
            },
        )
    return Listing(tuple(listed), pages)


def _pages(
    client: Any, repository: Repository, wanted: Mapping[str, str]
) -> Iterator[Mapping[str, Any]]:
    # botocore's paginator rather than a hand-written nextToken loop: it fetches lazily (leaving
    # the loop above fetches nothing more, which is what bounds the listing), and it raises
    # PaginationError if ECR ever hands back the same token twice, where a naive loop would spin
    # until the Lambda's deadline. PageSize becomes maxResults on every request.
    paginator = client.get_paginator("describe_images")
    # No filter at all rather than an empty one: ECR's defaults (every tag status, ACTIVE images).
    filtered = {"filter": dict(wanted)} if wanted else {}
    pages: Iterator[Mapping[str, Any]] = iter(
        paginator.paginate(
            registryId=repository.registry.account_id,
            repositoryName=repository.name,
            PaginationConfig={"PageSize": PAGE_SIZE},
            **filtered,
        )
    )
    return pages


def _listed(detail: Mapping[str, Any]) -> ListedImage | None:
    from ..tag_choice import ListedImage  # noqa: PLC0415 - see the imports

    """One ``imageDetails`` entry, or ``None`` for an untagged image.

    The request asks for tagged images only, but moto ignores that filter (and an image may lose
    its last tag between pages), so untagged entries are skipped here as well.
    """
    tags = tuple(detail.get("imageTags") or ())
    if not tags:
        return None
    return ListedImage(
        digest=str(detail["imageDigest"]),
        tags=tags,
        pushed_at=detail["imagePushedAt"],
        size_in_bytes=detail.get("imageSizeInBytes"),
        media_type=detail.get("imageManifestMediaType"),
    )


# --- every image, for lifecycle evaluation -----------------------------------------------------


@dataclass(frozen=True)
class StoredListing:
    images: tuple[StoredImage, ...]
    pages: int  # DescribeImages calls made


# ECR's imageStatus values (the ImageStatus shape): an archived image is listed but cannot be
# pulled; one being restored (ACTIVATING) cannot be pulled either, until the restore completes.
ARCHIVED = "ARCHIVED"
ACTIVATING = "ACTIVATING"


def list_stored_images(
    clients: EcrClients,
    repository: Repository,
    *,
    status: str | None = None,
    limit: int = MAX_LISTED_IMAGES,
) -> StoredListing | EcrFailure:
    """Every image of ``repository`` in ``status`` (``None``: ECR's default, ACTIVE images),
    tagged or not; ``ListingTooLargeError`` past ``limit``."""
    listed: list[StoredImage] = []
    pages = 0
    wanted = {"imageStatus": status} if status else {}
    try:
        client = clients.for_region(repository.registry.region)
        for page in _pages(client, repository, wanted):
            pages += 1
            for detail in page.get("imageDetails", []):
                stored = _stored(detail)
                # moto ignores the filter: keep only what was asked for.
                if status is None or detail.get("imageStatus") == status:
                    listed.append(stored)
            if len(listed) > limit:
                raise ListingTooLargeError(repository.describe(), limit)
    except (ClientError, BotoCoreError) as exc:
        return failure_from(exc)
    return StoredListing(tuple(listed), pages)


def _stored(detail: Mapping[str, Any]) -> StoredImage:
    from ..lifecycle import StoredImage  # noqa: PLC0415 - see the imports

    return StoredImage(
        digest=str(detail["imageDigest"]),
        tags=tuple(detail.get("imageTags") or ()),
        pushed_at=detail["imagePushedAt"],
        last_pulled=detail.get("lastRecordedPullTime"),
        last_activated=detail.get("lastActivatedAt"),
        archived=detail.get("imageStatus") == ARCHIVED,
        last_archived=detail.get("lastArchivedAt"),
    )


# --- given digests ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DetailsReport:
    answers: Mapping[Target, ImageDetails | EcrFailure]
    calls: int


def describe_digests(
    targets: Iterable[Target], *, clients: EcrClients, deadline: Deadline
) -> DetailsReport:
    """Push time, size and tags of each (repository, digest)."""
    chunks = per_repository(targets, repository=lambda t: t[0], key=lambda t: t[1])
    jobs = [
        partial(_describe_chunk, clients, repo, [d for _, d in chunk]) for repo, chunk in chunks
    ]
    answers: dict[Target, ImageDetails | EcrFailure] = {}
    for (_, chunk), answer in zip(chunks, run_all(jobs, deadline=deadline), strict=True):
        if isinstance(answer, dict):
            answers.update(answer)
        else:
            answers.update(dict.fromkeys(chunk, answer or TIMED_OUT))
    return DetailsReport(answers, calls=len(chunks))


def _describe_chunk(
    clients: EcrClients, repo: Repository, digests: list[str]
) -> dict[Target, ImageDetails | EcrFailure] | EcrFailure:
    try:
        answer = clients.for_region(repo.registry.region).describe_images(
            registryId=repo.registry.account_id,
            repositoryName=repo.name,
            imageIds=[{"imageDigest": digest} for digest in digests],
        )
    except (ClientError, BotoCoreError) as exc:
        failure = failure_from(exc)
        if failure.kind is FailureKind.IMAGE_NOT_FOUND and len(digests) > 1:
            # One absent id fails the whole call: ask for each alone, so the others are
            # still described and only the absent one is reported as such.
            return {
                target: answer
                for digest in digests
                for target, answer in _as_mapping(
                    _describe_chunk(clients, repo, [digest]), repo, digest
                ).items()
            }
        return failure
    found: dict[Target, ImageDetails | EcrFailure] = {
        (repo, detail["imageDigest"]): ImageDetails(
            pushed_at=detail.get("imagePushedAt"),
            size_in_bytes=detail.get("imageSizeInBytes"),
            tags=tuple(sorted(detail.get("imageTags", []))),
        )
        for detail in answer.get("imageDetails", [])
    }
    return {(repo, digest): found.get((repo, digest), NO_RESULT) for digest in digests}


def _as_mapping(
    answer: dict[Target, ImageDetails | EcrFailure] | EcrFailure, repo: Repository, digest: str
) -> dict[Target, ImageDetails | EcrFailure]:
    return answer if isinstance(answer, dict) else {(repo, digest): answer}
