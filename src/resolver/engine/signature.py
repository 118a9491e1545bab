"""``RequireSignature``: deploy an image only when it is signed — the signature gate.

Two kinds of signature are looked for, each only when asked for:

- **ECR managed signing** (a ``SigningProfileArn``): ``DescribeImageSigningStatus`` reports, per
  AWS Signer profile, whether ECR signed the image on push. ``COMPLETE`` for a listed profile
  admits the image: that is ECR's own statement that it signed this digest with that profile.
  ``IN_PROGRESS`` is polled within ``ScanWaitSeconds``; ``FAILED`` is reported with ECR's code.
- **Notation and Sigstore signatures stored as referrers** (``Notation``, ``Sigstore``):
  ``ListImageReferrers`` on the digest. That a signature *exists* is all this can say: the
  resolver does not fetch and verify it (no maintained Python library verifies Notation
  signatures; verifying a Sigstore bundle needs its blob, a trust root and an identity policy), so
  the verdict says ``(not verified)``. Verify in CI (``cosign verify``, ``notation verify``)
  before the plan; the lock (``ExpectedDigests``) then ties the deploy to that digest.

Any one listed signature admits the image. What counts is the digest the stack pins, or — for an
image pinned to one platform of an index (``Lambda``, ``Platform``) — that index: it lists the
pinned image's digest, so its signature covers it (both are read, concurrently).

Without ``RequireSignature`` but with the ``Signature`` attribute selected, every found image is
read both ways and described, never judged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from ..errors import LookupFailedError
from ..model import (
    SKIPPED_VERDICT,
    Attribute,
    ImageResult,
    ImageStatus,
    OnUnsigned,
    ReferrerSignature,
    ResolveRequest,
    SignatureRequirement,
    Verdict,
    VerdictState,
    WaitingFor,
)
from ..values import frozen
from .backoff import Pauses
from .ecr.batches import Target
from .ecr.failures import EcrFailure
from .ecr.referrers import signature_referrers
from .ecr.signing_status import ProfileStatus, SigningState, signing_statuses
from .gates import Images, Reading, blocked, pinned, refused, subjects, unjudged

# What the Signature attribute describes when no RequireSignature asks for something narrower.
_EVERYTHING = SignatureRequirement(referrers=tuple(ReferrerSignature))

Statuses = Mapping[Target, tuple[ProfileStatus, ...] | EcrFailure]
Referrers = Mapping[Target, tuple[frozenset[ReferrerSignature], int] | EcrFailure]


@frozen
class _Asked:
    """One image to read: what admits it, and the digests that may carry its signature."""

    image: ImageResult
    requirement: SignatureRequirement  # _EVERYTHING when only described
    targets: tuple[Target, ...]

    @property
    def any_profile(self) -> bool:
        """Described rather than gated: any profile's COMPLETE status is a signature."""
        return self.requirement is _EVERYTHING


def read(request: ResolveRequest, images: Images, *, reading: Reading) -> tuple[Images, int]:
    """``images`` with ``signature`` set where it is asked for, and the ECR calls made."""
    everything = Attribute.SIGNATURE in request.attributes
    concerned = [i for i in images if everything or i.spec.gates.signature]
    asked = {
        image.name: _Asked(
            image,
            image.spec.gates.signature or _EVERYTHING,
            tuple((image.image_ref.repository, digest) for digest in subjects(image)),
        )
        for image in concerned
        if pinned(image)
    }
    statuses: dict[Target, tuple[ProfileStatus, ...] | EcrFailure] = {}
    calls = 0
    kinds = {kind for a in asked.values() for kind in a.requirement.referrers}
    referrers: Referrers = {}
    if kinds:
        listed = signature_referrers(
            {t for a in asked.values() if a.requirement.referrers for t in a.targets},
            kinds=kinds,
            clients=reading.clients,
            deadline=reading.deadline,
        )
        referrers, calls = listed.answers, listed.calls
    pauses = Pauses(
        WaitingFor.SIGNATURE,
        budget=reading.wait_seconds,
        deadline=reading.deadline,
        observer=reading.observer,
    )
    # A referrer that admits an image already settles it; only a description reads both.
    pending = [
        a
        for a in asked.values()
        if a.any_profile or (a.requirement.profiles and not _verdict(a, {}, referrers).passed)
    ]
    verdicts: dict[str, Verdict] = {}
    while True:
        answered = signing_statuses(
            {t for a in pending for t in a.targets},
            clients=reading.clients,
            deadline=reading.deadline,
        )
        statuses.update(answered.answers)
        calls += answered.calls
        verdicts = {name: _verdict(a, statuses, referrers) for name, a in asked.items()}
        pending = [a for a in pending if verdicts[a.image.name].state is VerdictState.PENDING]
        if not pauses.pause([a.image.name for a in pending]):
            break
    names = {image.name for image in concerned}
    read_images = tuple(
        replace(image, signature=verdicts.get(image.name, SKIPPED_VERDICT))
        if image.name in names
        else image
        for image in images
    )
    return read_images, calls


def judge(request: ResolveRequest, images: Images) -> Images:
    """Gated images without an accepted signature blocked (``Unsigned``); a ``LookupFailedError``
    for a gated image ECR would not describe, unless ``OnUnsigned: Report``."""
    cannot = [
        unjudged(image, image.signature)
        for image in images
        if image.signature is not None
        and image.signature.state is VerdictState.UNKNOWN
        and image.spec.gates.signature
        and image.spec.gates.on_unsigned is OnUnsigned.FAIL
    ]
    if cannot:
        raise LookupFailedError(cannot)
    return tuple(_judged(image) for image in images)


def _judged(image: ImageResult) -> ImageResult:
    if not image.spec.gates.signature or image.signature is None or not refused(image.signature):
        return image
    return blocked(image, ImageStatus.UNSIGNED, image.signature.detail)


# --- one image's verdict ------------------------------------------------------------------------


def _verdict(asked: _Asked, statuses: Statuses, referrers: Referrers) -> Verdict:
    """Signed by any accepted signature; else still being signed; else why not."""
    requirement = asked.requirement
    mine = [statuses[t] for t in asked.targets if t in statuses]
    profiles = [s for answer in mine if not isinstance(answer, EcrFailure) for s in answer]
    wanted = [s for s in profiles if asked.any_profile or s.profile_arn in requirement.profiles]
    failures = [a for a in mine if isinstance(a, EcrFailure)]
    if done := [s for s in wanted if s.state is SigningState.COMPLETE]:
        return Verdict(VerdictState.PASSED, f"Signed: {_profile_name(done[0].profile_arn)}")
    found: set[ReferrerSignature] = set()
    for target in asked.targets:
        answer = referrers.get(target)
        if isinstance(answer, EcrFailure):
            failures.append(answer)
        elif answer is not None:
            found |= answer[0] & set(requirement.referrers)
    if found:
        kind = min(found, key=lambda k: k.value)
        return Verdict(VerdictState.PASSED, f"Signed: {kind.value} (not verified)")
    if failures:
        failure = failures[0]
        return Verdict(
            VerdictState.UNKNOWN,
            f"Unknown: {failure.code}",
            f"ECR would not say whether it is signed ({failure}){_access_hint(failure)}",
            failure.code,
        )
    if running := [s for s in wanted if s.state is SigningState.IN_PROGRESS]:
        name = _profile_name(running[0].profile_arn)
        return Verdict(
            VerdictState.PENDING, "InProgress", f"signing with profile {name} is still in progress"
        )
    if failed := [s for s in wanted if s.state is SigningState.FAILED]:
        name = _profile_name(failed[0].profile_arn)
        code = failed[0].failure.partition(":")[0] or "FAILED"
        return Verdict(
            VerdictState.BLOCKED,
            f"Failed: {code}",
            f"ECR managed signing with profile {name} failed ({failed[0].failure or 'FAILED'})",
        )
    return Verdict(VerdictState.BLOCKED, "Unsigned", _unsigned_detail(requirement, profiles))


def _unsigned_detail(requirement: SignatureRequirement, seen: Sequence[ProfileStatus]) -> str:
    """What was looked for and not found, for a person who has to sign the image."""
    parts = []
    if requirement.profiles:
        names = ", ".join(_profile_name(arn) for arn in requirement.profiles)
        others = sorted({_profile_name(s.profile_arn) for s in seen})
        hint = (
            f"ECR reports only {', '.join(others)}"
            if others
            else "ECR reports no managed signing for it: is the profile in the registry's "
            "signing configuration, and was the image pushed after it?"
        )
        parts.append(f"no COMPLETE managed signature by {names} ({hint})")
    if requirement.referrers and requirement is not _EVERYTHING:
        kinds = " or ".join(kind.value for kind in requirement.referrers)
        parts.append(f"no {kinds} signature among its referrers")
    return "; ".join(parts) or "no signature"


def _profile_name(arn: str) -> str:
    """``ci_release`` of ``arn:aws:signer:…:/signing-profiles/ci_release``: short for the
    attribute (a response is 4 KB), and what the signing configuration names it by."""
    return arn.rpartition("/")[2] or arn


def _access_hint(failure: EcrFailure) -> str:
    if failure.code != "AccessDeniedException":
        return ""
    return (
        ": deploy the resolver with SupplyChainChecks=true, which grants "
        "ecr:DescribeImageSigningStatus"
    )
