"""``DescribeImages``, both ways ECR offers it: a repository's images (paginated), and push time,
size and tags of given digests (100 per call).

Tag patterns and ``Version: latest`` need the whole tagged listing, because ECR has no
server-side tag filter or sort; lifecycle evaluation (``Retention``) and the second look at an
image ECR did not return (archived?) need every image in a status, tagged or not. Both page the
same way (``_listed_pages``), and both are bounded (``MAX_LISTED_IMAGES``): a repository past it
is a ``LISTING_TOO_LARGE`` failure, like any other ECR answer, at once, instead of paging until
the Lambda times out.

Without an ``imageStatus`` filter DescribeImages lists ``ACTIVE`` images only (the API reference,
``DescribeImagesFilter``): archived images are listed only when asked for by status.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from ...model import ImageDetails
from ...references import Repository
from ...values import frozen
from ..fanout import Deadline, Report
from .batches import Target, read_batched
from .clients import EcrClients, timed
from .failures import (
    LISTING_TOO_LARGE,
    NO_RESULT,
    READ_ERRORS,
    EcrFailure,
    FailureKind,
    failure_from,
)

if TYPE_CHECKING:  # each is imported where it is built: a reader of one needs not the other
    from ..lifecycle import StoredImage
    from ..tag_choice import ListedImage

logger = logging.getLogger(__name__)

MAX_LISTED_IMAGES = 10_000
PAGE_SIZE = 1000  # DescribeImages' largest maxResults

X = TypeVar("X")


# --- a repository's images, page by page --------------------------------------------------------


@frozen
class Listing:
    images: tuple[ListedImage, ...]
    pages: int  # DescribeImages calls made


@frozen
class StoredListing:
    images: tuple[StoredImage, ...]
    pages: int  # DescribeImages calls made


# ECR's imageStatus values (the ImageStatus shape): an archived image is listed but cannot be
# pulled; one being restored (ACTIVATING) cannot be pulled either, until the restore completes.
ARCHIVED = "ARCHIVED"
ACTIVATING = "ACTIVATING"


def list_tagged_images(clients: EcrClients, repository: Repository) -> Listing | EcrFailure:
    """Every tagged image of ``repository``, in ECR's order, or why ECR could not list them."""
    listed = _listed_pages(
        clients,
        repository,
        wanted={"tagStatus": "TAGGED"},
        entry=_listed,
        too_large=_too_large(
            "tagged images", fix="use exact tags, or a lifecycle policy that expires old images"
        ),
    )
    return listed if isinstance(listed, EcrFailure) else Listing(*listed)


def list_stored_images(
    clients: EcrClients, repository: Repository, *, status: str | None = None
) -> StoredListing | EcrFailure:
    """Every image of ``repository`` in ``status`` (``None``: ECR's default, ACTIVE images),
    tagged or not, or why ECR could not list them."""

    def entry(detail: Mapping[str, Any]) -> StoredImage | None:
        # moto ignores the filter: keep only what was asked for.
        return _stored(detail) if status is None or detail.get("imageStatus") == status else None

    listed = _listed_pages(
        clients,
        repository,
        wanted={"imageStatus": status} if status else {},
        entry=entry,
        too_large=_too_large(f"{status.lower()} images" if status else "images"),
    )
    return listed if isinstance(listed, EcrFailure) else StoredListing(*listed)


def _listed_pages(
    clients: EcrClients,
    repository: Repository,
    *,
    wanted: Mapping[str, str],
    entry: Callable[[Mapping[str, Any]], X | None],
    too_large: EcrFailure,
) -> tuple[tuple[X, ...], int] | EcrFailure:
    """What ``entry`` keeps of every ``imageDetails`` entry, and the pages read; or a failure.

    Paging stops as soon as more than ``MAX_LISTED_IMAGES`` are kept: no further page is
    requested, and the answer is ``too_large``.
    """
    listed: list[X] = []
    pages = 0
    with timed(logger, "DescribeImages", repository=repository.name, pages=0, images=0) as logged:
        try:
            client = clients.for_registry(repository.registry)
            for page in _pages(client, repository, wanted):
                pages += 1
                listed += (
                    item for item in map(entry, page.get("imageDetails", [])) if item is not None
                )
                logged.update(pages=pages, images=len(listed))
                if len(listed) > MAX_LISTED_IMAGES:
                    return too_large
        except READ_ERRORS as exc:
            return failure_from(exc)
    return tuple(listed), pages


def _too_large(what: str, *, fix: str = "") -> EcrFailure:
    """The resolver's own failure for a listing past ``MAX_LISTED_IMAGES``: in words every
    caller can show (discovery's lookup error, a Retention verdict, a warning)."""
    message = f"more than {MAX_LISTED_IMAGES} {what}, the most the resolver lists"
    return EcrFailure(LISTING_TOO_LARGE, f"{message} ({fix})" if fix else message)


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
    """One ``imageDetails`` entry, or ``None`` for an untagged image.

    The request asks for tagged images only, but moto ignores that filter (and an image may lose
    its last tag between pages), so untagged entries are skipped here as well.
    """
    from ..tag_choice import ListedImage  # noqa: PLC0415 - see the imports

    tags = tuple(detail.get("imageTags") or ())
    if not tags:
        return None
    return ListedImage(
        digest=str(detail["imageDigest"]), tags=tags, pushed_at=detail["imagePushedAt"]
    )


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


def describe_digests(
    targets: Iterable[Target], *, clients: EcrClients, deadline: Deadline
) -> Report[Target, ImageDetails | EcrFailure]:
    """Push time, size and tags of each (repository, digest)."""
    return read_batched(
        targets,
        repository=lambda target: target[0],
        key=lambda target: target[1],
        read=partial(_describe_chunk, clients),
        deadline=deadline,
    )


def _describe_chunk(
    clients: EcrClients, repo: Repository, chunk: list[Target]
) -> dict[Target, ImageDetails | EcrFailure] | EcrFailure:
    try:
        answer = clients.for_registry(repo.registry).describe_images(
            registryId=repo.registry.account_id,
            repositoryName=repo.name,
            imageIds=[{"imageDigest": digest} for _, digest in chunk],
        )
    except READ_ERRORS as exc:
        failure = failure_from(exc)
        if failure.kind is FailureKind.IMAGE_NOT_FOUND and len(chunk) > 1:
            # One absent id fails the whole call: ask for each alone, so the others are
            # still described and only the absent one is reported as such.
            return {
                target: _one(_describe_chunk(clients, repo, [target]), target) for target in chunk
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
    return {target: found.get(target, NO_RESULT) for target in chunk}


def _one(
    answer: dict[Target, ImageDetails | EcrFailure] | EcrFailure, target: Target
) -> ImageDetails | EcrFailure:
    return answer if isinstance(answer, EcrFailure) else answer[target]
