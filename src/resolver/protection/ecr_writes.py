"""The only code that writes to ECR: ``PutImage`` to add a tag, ``BatchDeleteImage`` to remove
tags. Wire names stay here; callers speak ``TagWrite`` and repositories.

``PutImage`` is sent the manifest exactly as ``BatchGetImage`` returned it, with its media type
and its digest: ECR then adds the tag to the existing image (no new image, no layer copy), and
refuses (``ImageDigestDoesNotMatchException``) rather than store a document whose bytes would
make another digest. Writes go through the registry's client (``EcrClients.for_registry``): a registry read through a
role is written through it too. ``BatchDeleteImage`` is only ever sent tags, never digests: by digest it
deletes the image with all its tags. Both run concurrently under the caller's deadline; removals
go 100 tags a call (the API's limit).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import field
from functools import partial

from ..engine.ecr.batch_get_image import FetchedImage
from ..engine.ecr.batches import read_batched
from ..engine.ecr.clients import EcrClients
from ..engine.ecr.failures import READ_ERRORS, TIMED_OUT, EcrFailure, failure_from
from ..engine.fanout import Deadline, run_all
from ..references import Repository
from ..values import frozen

logger = logging.getLogger(__name__)

# The image already has this tag (and this manifest): a write replayed, or raced by another.
ALREADY_THERE = "ImageAlreadyExistsException"
# The tag is on another image of a repository whose tags are immutable.
TAG_IMMUTABLE = "ImageTagAlreadyExistsException"


@frozen
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


@frozen
class Writes:
    failures: Mapping[TagWrite, EcrFailure]  # the writes ECR refused (the others were made)
    calls: int


def put_tags(writes: Sequence[TagWrite], *, clients: EcrClients, deadline: Deadline) -> Writes:
    """Each tag added (one ``PutImage`` each: the API takes one image), concurrently."""
    jobs = {write: partial(_put, clients, write) for write in writes}
    answers = run_all(jobs, deadline=deadline, late=TIMED_OUT)
    failures = {w: answer for w, answer in answers.items() if isinstance(answer, EcrFailure)}
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
        clients.for_registry(repo.registry).put_image(**arguments)
    except READ_ERRORS as exc:
        failure = failure_from(exc)
        logger.info(
            "PutImage refused",
            extra={"repository": repo.name, "tag": write.tag, "code": failure.code},
        )
        return failure
    return _Done()


@frozen
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
    report = read_batched(
        targets,
        repository=lambda target: target[0],
        key=lambda target: target[1],
        read=partial(_delete, clients),
        deadline=deadline,
    )
    failures = {t: answer for t, answer in report.answers.items() if isinstance(answer, EcrFailure)}
    return Removals(failures, calls=report.calls)


def _delete(
    clients: EcrClients, repo: Repository, chunk: list[tuple[Repository, str]]
) -> dict[tuple[Repository, str], _Done | EcrFailure] | EcrFailure:
    try:
        answer = clients.for_registry(repo.registry).batch_delete_image(
            registryId=repo.registry.account_id,
            repositoryName=repo.name,
            imageIds=[{"imageTag": tag} for _, tag in chunk],
        )
    except READ_ERRORS as exc:
        return failure_from(exc)
    failed: dict[str, EcrFailure] = {}
    for failure in answer.get("failures", []):
        code = str(failure.get("failureCode", "Unknown"))
        if code != "ImageNotFound":
            reason = str(failure.get("failureReason") or "")
            failed[str(failure.get("imageId", {}).get("imageTag"))] = EcrFailure(code, reason)
    return {target: failed.get(target[1], _Done()) for target in chunk}
