"""The only code that writes to ECR: ``PutImage`` to add a tag, ``BatchDeleteImage`` to remove
tags. Wire names stay here; callers speak ``TagWrite`` and repositories.

``PutImage`` is sent the manifest exactly as ``BatchGetImage`` returned it, with its media type
and its digest: ECR then adds the tag to the existing image (no new image, no layer copy), and
refuses (``ImageDigestDoesNotMatchException``) rather than store a document whose bytes would
make another digest. ``BatchDeleteImage`` is only ever sent tags, never digests: by digest it
deletes the image with all its tags. Both run concurrently under the caller's deadline; removals
go 100 tags a call (the API's limit).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial

from botocore.exceptions import BotoCoreError, ClientError

from ..engine.ecr.batch_get_image import FetchedImage
from ..engine.ecr.batches import per_repository
from ..engine.ecr.clients import EcrClients
from ..engine.ecr.failures import TIMED_OUT, EcrFailure, failure_from
from ..engine.fanout import Deadline, run_all
from ..references import Repository

logger = logging.getLogger(__name__)

# The image already has this tag (and this manifest): a write replayed, or raced by another.
ALREADY_THERE = "ImageAlreadyExistsException"
# The tag is on another image of a repository whose tags are immutable.
TAG_IMMUTABLE = "ImageTagAlreadyExistsException"


@dataclass(frozen=True)
class TagWrite:
    """``tag`` added to the image ``digest`` of ``repository``, from its exact manifest."""

    repository: Repository
    digest: str
    tag: str
    manifest: str = field(repr=False)
    media_type: str | None


def exact_write(repository: Repository, image: FetchedImage, tag: str) -> TagWrite | None:
    """``tag`` added to ``image`` with its manifest exactly as ECR returned it; None when those
    bytes do not hash to its digest (a schema 1 manifest, whose digest is of its payload):
    writing them would make another image, not tag this one."""
    manifest = image.manifest or ""
    if "sha256:" + hashlib.sha256(manifest.encode()).hexdigest() != image.digest:
        return None
    return TagWrite(repository, image.digest, tag, manifest, image.media_type)


@dataclass(frozen=True)
class Writes:
    failures: Mapping[TagWrite, EcrFailure]  # the writes ECR refused (the others were made)
    calls: int


def put_tags(writes: Sequence[TagWrite], *, clients: EcrClients, deadline: Deadline) -> Writes:
    """Each tag added (one ``PutImage`` each: the API takes one image), concurrently."""
    jobs = [partial(_put, clients, write) for write in writes]
    answers = run_all(jobs, deadline=deadline)
    failures = {
        write: answer if answer is not None else TIMED_OUT
        for write, answer in zip(writes, answers, strict=True)
        if not isinstance(answer, _Done)
    }
    return Writes(failures, calls=len(writes))


class _Done:
    """A write ECR accepted."""


def _put(clients: EcrClients, write: TagWrite) -> _Done | EcrFailure:
    repo = write.repository
    arguments = {
        "registryId": repo.registry.account_id,
        "repositoryName": repo.name,
        "imageManifest": write.manifest,
        "imageTag": write.tag,
        "imageDigest": write.digest,
    }
    if write.media_type:
        arguments["imageManifestMediaType"] = write.media_type
    try:
        clients.for_region(repo.registry.region).put_image(**arguments)
    except (ClientError, BotoCoreError) as exc:
        failure = failure_from(exc)
        logger.info(
            "PutImage refused",
            extra={"repository": repo.name, "tag": write.tag, "code": failure.code},
        )
        return failure
    return _Done()


@dataclass(frozen=True)
class Removals:
    failures: Mapping[tuple[Repository, str], EcrFailure]  # (repository, tag) not removed
    calls: int


def delete_tags(
    targets: Iterable[tuple[Repository, str]], *, clients: EcrClients, deadline: Deadline
) -> Removals:
    """Each (repository, tag) removed: ``BatchDeleteImage`` by tag, 100 a call, concurrently.

    A tag ECR does not find counts as removed (a Delete replayed). The caller makes sure no tag
    sent here is its image's last (ECR would delete the image).
    """
    chunks = per_repository(targets, repository=lambda t: t[0], key=lambda t: t[1])
    jobs = [partial(_delete, clients, repo, [tag for _, tag in chunk]) for repo, chunk in chunks]
    failures: dict[tuple[Repository, str], EcrFailure] = {}
    for (_, chunk), answer in zip(chunks, run_all(jobs, deadline=deadline), strict=True):
        if isinstance(answer, dict):
            failures.update(answer)
        else:
            failures.update(dict.fromkeys(chunk, answer or TIMED_OUT))
    return Removals(failures, calls=len(chunks))


def _delete(
    clients: EcrClients, repo: Repository, tags: list[str]
) -> dict[tuple[Repository, str], EcrFailure] | EcrFailure:
    try:
        answer = clients.for_region(repo.registry.region).batch_delete_image(
            registryId=repo.registry.account_id,
            repositoryName=repo.name,
            imageIds=[{"imageTag": tag} for tag in tags],
        )
    except (ClientError, BotoCoreError) as exc:
        return failure_from(exc)
    failed: dict[tuple[Repository, str], EcrFailure] = {}
    for failure in answer.get("failures", []):
        tag = failure.get("imageId", {}).get("imageTag")
        code = str(failure.get("failureCode", "Unknown"))
        if tag in tags and code != "ImageNotFound":
            failed[(repo, tag)] = EcrFailure(code, str(failure.get("failureReason") or ""))
    return failed
