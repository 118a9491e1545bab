"""The one paginated DescribeImages reader: a repository's tagged images, as ``ListedImage`` values.

Tag patterns and ``Version: latest`` need the whole listing, because ECR has no server-side tag
filter or sort. The listing is bounded (``MAX_LISTED_IMAGES``): a repository past it fails fast
with an error that names the fix, instead of paging until the Lambda times out.

AWS errors (``ClientError``, ``BotoCoreError``) are not caught here: the caller classifies them
(``RepositoryNotFoundException`` means the repository is missing; anything else is a failed
lookup, never "missing").
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping
from typing import Any

from .discovery import ListedImage
from .errors import ResolverError
from .references import Repository

logger = logging.getLogger(__name__)

MAX_LISTED_IMAGES = 10_000
PAGE_SIZE = 1000  # DescribeImages' largest maxResults


class ListingTooLargeError(ResolverError):
    """A repository holds more tagged images than the resolver will list."""

    def __init__(self, repository: Repository, limit: int) -> None:
        self.repository = repository
        self.limit = limit
        super().__init__(
            f"Repository {repository.describe()} has more than {limit} tagged images, the most "
            "the resolver lists to match a tag pattern or find Version: latest. Use an exact "
            "Tag, or add a lifecycle policy that expires old images."
        )


def list_tagged_images(
    client: Any, repository: Repository, *, limit: int = MAX_LISTED_IMAGES
) -> tuple[ListedImage, ...]:
    """Every tagged image of ``repository``, in ECR's order; past ``limit`` images, an error.

    Paging stops as soon as the count passes ``limit``: no further page is requested.
    """
    started = time.perf_counter()
    listed: list[ListedImage] = []
    pages = 0
    try:
        for page in _pages(client, repository):
            pages += 1
            listed += (image for image in map(_listed, page.get("imageDetails", [])) if image)
            if len(listed) > limit:
                raise ListingTooLargeError(repository, limit)
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
    return tuple(listed)


def _pages(client: Any, repository: Repository) -> Iterator[Mapping[str, Any]]:
    # botocore's paginator rather than a hand-written nextToken loop: it fetches lazily (leaving
    # the loop above fetches nothing more, which is what bounds the listing), and it raises
    # PaginationError if ECR ever hands back the same token twice, where a naive loop would spin
    # until the Lambda's deadline. PageSize becomes maxResults on every request.
    paginator = client.get_paginator("describe_images")
    pages: Iterator[Mapping[str, Any]] = iter(
        paginator.paginate(
            registryId=repository.registry.account_id,
            repositoryName=repository.name,
            filter={"tagStatus": "TAGGED"},
            PaginationConfig={"PageSize": PAGE_SIZE},
        )
    )
    return pages


def _listed(detail: Mapping[str, Any]) -> ListedImage | None:
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
