"""``ListImageReferrers``: the signatures stored beside an image as OCI referrers.

Asked with a filter on the signature artifact types, so that SBOMs and other attestations do not
fill the pages. A Sigstore bundle may carry a signature or an attestation (SLSA provenance, an
SBOM); only bundles that say they carry cosign's image signature count (``is_signature``). Paged
by hand (botocore has no paginator for it), at most ``MAX_PAGES`` pages, stopping at the first
signature found; a token ECR hands back twice ends the listing rather than looping.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any

from ...model import ReferrerSignature
from ...references import Repository
from ..fanout import Deadline, Report, run_all
from .batches import Target
from .clients import EcrClients
from .failures import READ_ERRORS, TIMED_OUT, EcrFailure, failure_from

NOTARY_SIGNATURE = "application/vnd.cncf.notary.signature"  # the Notary Project's artifact type
# cosign 2's OCI 1.1 referrer mode; cosign 3's Sigstore bundle (and its earlier media types).
COSIGN_SIGNATURE = "application/vnd.dev.cosign.artifact.sig.v1+json"
SIGSTORE_BUNDLES = (
    "application/vnd.dev.sigstore.bundle.v0.3+json",
    "application/vnd.dev.sigstore.bundle+json;version=0.2",
    "application/vnd.dev.sigstore.bundle+json;version=0.1",
)
ARTIFACT_TYPES: Mapping[ReferrerSignature, tuple[str, ...]] = {
    ReferrerSignature.NOTATION: (NOTARY_SIGNATURE,),
    ReferrerSignature.SIGSTORE: (COSIGN_SIGNATURE, *SIGSTORE_BUNDLES),
}
# A bundle's annotations say what it carries (cosign's BUNDLE_SPEC): an image signature is a
# message signature, or a DSSE envelope of cosign's signing predicate.
_SIGN_PREDICATE = "https://sigstore.dev/cosign/sign/v1"
PAGE_SIZE = 50  # ListImageReferrers' largest maxResults
MAX_PAGES = 5


def signature_referrers(
    targets: Iterable[Target],
    *,
    kinds: Iterable[ReferrerSignature],
    clients: EcrClients,
    deadline: Deadline,
) -> Report[Target, tuple[frozenset[ReferrerSignature], int] | EcrFailure]:
    """Per image, the kinds of signature found among its referrers and the pages read; or why ECR
    would not list them."""
    wanted = tuple(dict.fromkeys(kinds))
    jobs = {target: partial(_referrers, clients, *target, wanted) for target in targets}
    answers = run_all(jobs, deadline=deadline, late=TIMED_OUT)
    pages = sum(answer[1] for answer in answers.values() if not isinstance(answer, EcrFailure))
    failed = sum(isinstance(answer, EcrFailure) for answer in answers.values())
    return Report(answers, calls=pages + failed)


def _referrers(
    clients: EcrClients, repo: Repository, digest: str, kinds: tuple[ReferrerSignature, ...]
) -> tuple[frozenset[ReferrerSignature], int] | EcrFailure:
    types = [artifact for kind in kinds for artifact in ARTIFACT_TYPES[kind]]
    found: set[ReferrerSignature] = set()
    token: str | None = None
    seen: set[str] = set()
    pages = 0
    try:
        client = clients.for_registry(repo.registry)
        while pages < MAX_PAGES:
            page = client.list_image_referrers(
                registryId=repo.registry.account_id,
                repositoryName=repo.name,
                subjectId={"imageDigest": digest},
                filter={"artifactTypes": types},
                maxResults=PAGE_SIZE,
                **({"nextToken": token} if token else {}),
            )
            pages += 1
            found.update(kind for r in page.get("referrers") or () if (kind := is_signature(r)))
            token = page.get("nextToken")
            if found >= set(kinds) or not token or token in seen:
                break
            seen.add(token)
    except READ_ERRORS as exc:
        return failure_from(exc)
    return frozenset(found), pages


def is_signature(referrer: Mapping[str, Any]) -> ReferrerSignature | None:
    """The kind of signature ``referrer`` is, or None (an attestation, an SBOM, archived...)."""
    if referrer.get("artifactStatus", "ACTIVE") != "ACTIVE":
        return None  # archived with its image's lifecycle: it cannot be pulled, nor verified
    artifact = str(referrer.get("artifactType", ""))
    if artifact == NOTARY_SIGNATURE:
        return ReferrerSignature.NOTATION
    if artifact == COSIGN_SIGNATURE:
        return ReferrerSignature.SIGSTORE
    if artifact in SIGSTORE_BUNDLES:
        notes = referrer.get("annotations") or {}
        content = notes.get("dev.sigstore.bundle.content")
        predicate = notes.get("dev.sigstore.bundle.predicateType")
        if content == "message-signature" or predicate == _SIGN_PREDICATE:
            return ReferrerSignature.SIGSTORE
    return None
