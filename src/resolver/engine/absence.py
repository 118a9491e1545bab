"""Why ECR did not return an image: archived, not pulled through a cache yet, or really absent.

Only a definite "not there" may ever mean "build needed", and two cases answer "not found" while
the image exists:

* **Archived** (ECR user guide, "Archiving an image"): "Archived images cannot be pulled. Requests
  to pull the archived image will fail with a 404 error", yet they are "still described using
  describe-images … The image status will be shown as ARCHIVED". BatchGetImage is how a pull
  reads the manifest, so it cannot return one. The fix is a restore (``UpdateImageStorageClass``
  to ``STANDARD``; the image is ``ACTIVATING`` meanwhile) or pushing it again, not a build.
  DescribeImages lists only ``ACTIVE`` images unless asked by ``imageStatus``, so each repository
  with an unanswered image is listed for ``ARCHIVED`` and ``ACTIVATING`` images, and the image is
  matched by tag or digest.
* **Pull-through cache** (user guide, "Sync an upstream registry"; IAM reference: BatchGetImage
  needs ``ecr:BatchImportUpstreamImage``, and ``ecr:CreateRepository`` for a new repository): an
  upstream image not cached yet is imported on its first pull — by tag; a first pull by digest
  is not (aws/containers-roadmap#2837) — and only for a caller allowed to import. An image under a
  cache rule's prefix that ECR did not return is therefore unknown, never "build it locally":
  the upstream may well have it. Each registry with such an image has its rules read once.

Both checks run only for images ECR did not return, so a deployment whose images exist pays
nothing. When a check itself cannot be made (access denied, say), the original answer stands.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from functools import partial

from ..references import ImageRef, Registry
from ..values import frozen
from .ecr.clients import EcrClients
from .ecr.describe_images import ACTIVATING, ARCHIVED, list_stored_images
from .ecr.failures import TIMED_OUT, EcrFailure, FailureKind
from .ecr.pull_through_cache import CacheRule, cache_rules
from .fanout import Deadline, Report, run_all

logger = logging.getLogger(__name__)


@frozen
class Archived:
    """In the archive storage class (or being restored from it): listed, but no pull."""

    detail: str


@frozen
class NotCached:
    """Under a pull-through cache rule, and not imported: unknown, so a lookup failure."""

    detail: str


Explanation = Archived | NotCached


def explain(
    unanswered: Mapping[ImageRef, EcrFailure], *, clients: EcrClients, deadline: Deadline
) -> Report[ImageRef, Explanation]:
    """An explanation for each image of ``unanswered`` that has one; the rest stand as they are."""
    archived, calls = _archived(unanswered, clients=clients, deadline=deadline)
    rest = {ref: answer for ref, answer in unanswered.items() if ref not in archived}
    cached, more = _not_cached(rest, clients=clients, deadline=deadline)
    return Report({**archived, **cached}, calls=calls + more)


# --- archived images -------------------------------------------------------------------------


def _archived(
    unanswered: Mapping[ImageRef, EcrFailure], *, clients: EcrClients, deadline: Deadline
) -> tuple[dict[ImageRef, Explanation], int]:
    # A repository ECR says does not exist holds no archived images either.
    repos = sorted(
        {
            ref.repository
            for ref, answer in unanswered.items()
            if answer.kind is not FailureKind.REPOSITORY_NOT_FOUND
        }
    )
    jobs = {
        (repo, status): partial(list_stored_images, clients, repo, status=status)
        for repo in repos
        for status in (ARCHIVED, ACTIVATING)
    }
    found: dict[ImageRef, Explanation] = {}
    calls = 0
    for (repo, status), listing in run_all(jobs, deadline=deadline, late=TIMED_OUT).items():
        if isinstance(listing, EcrFailure):
            logger.warning(
                "Could not list archived images",
                extra={"repository": repo.name, "reason": str(listing)},
            )
            continue
        calls += listing.pages
        for ref in unanswered:
            if ref.repository != repo or ref in found:
                continue
            stored = next(
                (
                    image
                    for image in listing.images
                    if (ref.tag in image.tags if ref.tag else image.digest == ref.digest)
                ),
                None,
            )
            if stored is not None:
                found[ref] = Archived(_archive_detail(status, stored.digest))
    return found, calls


def _archive_detail(status: str, digest: str) -> str:
    if status == ACTIVATING:
        return (
            f"being restored from the archive ({digest}, ACTIVATING): it can be pulled once the "
            "restore completes; deploy again then, or give the deployment WaitSeconds"
        )
    return (
        f"archived ({digest}): it cannot be pulled until restored — aws ecr "
        f"update-image-storage-class --image-id imageDigest={digest} --target-storage-class "
        "STANDARD — or pushed again"
    )


# --- pull-through caches ---------------------------------------------------------------------


def _not_cached(
    unanswered: Mapping[ImageRef, EcrFailure], *, clients: EcrClients, deadline: Deadline
) -> tuple[dict[ImageRef, Explanation], int]:
    registries = sorted({ref.repository.registry for ref in unanswered})
    if not registries:
        return {}, 0
    jobs = {registry: partial(cache_rules, clients, registry) for registry in registries}
    rules: dict[Registry, tuple[CacheRule, ...]] = {}
    for registry, answer in run_all(jobs, deadline=deadline, late=TIMED_OUT).items():
        if isinstance(answer, EcrFailure):
            logger.warning(
                "Could not read pull-through cache rules",
                extra={"registry": registry.account_id, "reason": str(answer)},
            )
        else:
            rules[registry] = answer
    found: dict[ImageRef, Explanation] = {}
    for ref in unanswered:
        rule = next(
            (r for r in rules.get(ref.repository.registry, ()) if r.covers(ref.repository)), None
        )
        if rule is not None:
            found[ref] = NotCached(_cache_detail(ref, rule))
    return found, len(registries)


def _cache_detail(ref: ImageRef, rule: CacheRule) -> str:
    source = f"pull-through cache rule {rule.prefix} → {rule.upstream}"
    if not ref.tag:
        return (
            f"not cached yet ({source}), and ECR imports an upstream image on a first pull by "
            "tag, not by digest (aws/containers-roadmap#2837): pull it once by tag, or use Tag"
        )
    return (
        f"not cached yet ({source}), and ECR did not import it: the upstream lacks it, or the "
        "resolver may not import (deploy it with PullThroughCacheImport=true), or pull it once"
    )
