"""The gates: steps that judge a pinned digest, each in the same two parts.

A gate's module has ``read`` — what ECR says about each image it concerns, as a report on the
image (findings, a signature verdict, a replication verdict); ECR refusing is an ``Unknown``
report, never an error, because a rollback reads and stops there — and ``judge``: the image's
blocked status where the requirement is not met, and a ``LookupFailedError`` where the gate cannot
judge an image whose refusal would fail the deployment. What a blocked image does to the
deployment (``Fail`` or ``Report``) is ``policy.enforce``'s; a rollback never enforces.

The family, in the order it runs (the first gate to block an image gives it its status):

- ``gate``: the vulnerability gate (``FailOnSeverity``, ``RequireScan``);
- ``signature``: ``RequireSignature`` (ECR managed signing, Notation and Sigstore referrers);
- ``lock``: ``ExpectedDigests``, the digests the plan saw;
- ``replication``: ``WaitForReplication``.

Only the gates a request asks for are imported and run, so a request that asks for none makes no
call and loads no module (``make bench``). ECR's work after a push — scans, managed signatures,
replication — is waited for within one budget, ``ScanWaitSeconds``, shared in that order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from importlib import import_module
from typing import Protocol, cast

from ..errors import ImageProblem
from ..model import (
    Attribute,
    ImageResult,
    ImageSpec,
    ImageStatus,
    Observer,
    OnLockMismatch,
    OnUnsigned,
    ResolveRequest,
    Source,
    Verdict,
    VerdictState,
)
from ..values import frozen
from .ecr.clients import EcrClients
from .fanout import Deadline

Images = tuple[ImageResult, ...]


@frozen
class Reading:
    """How a gate reads ECR: the clients, the deadline, its share of the wait for ECR's work
    after a push (``ScanWaitSeconds``; 0: ask once), and who hears each wait."""

    clients: EcrClients
    deadline: Deadline
    wait_seconds: float = 0.0
    observer: Observer | None = None


class Gate(Protocol):
    """What every gate module provides."""

    def read(
        self, request: ResolveRequest, images: Images, *, reading: Reading
    ) -> tuple[Images, int]: ...

    def judge(self, request: ResolveRequest, images: Images) -> Images: ...


def _signature_asked(request: ResolveRequest) -> bool:
    return Attribute.SIGNATURE in request.attributes or any(
        spec.gates.signature for spec in request.images
    )


_FAMILY: tuple[tuple[str, Callable[[ResolveRequest], bool]], ...] = (
    ("gate", lambda request: request.scans_needed),
    ("signature", _signature_asked),
    ("lock", lambda request: any(spec.gates.expected_digest for spec in request.images)),
    ("replication", lambda request: any(spec.gates.replication for spec in request.images)),
)


def hygiene_asked(request: ResolveRequest) -> bool:
    """Whether the tags' mutability may be read (``tag_hygiene``): the attribute, or a gate that
    vouches for a digest (a signature, a lock)."""
    return Attribute.TAG_MUTABILITY in request.attributes or any(
        spec.gates.signature or spec.gates.expected_digest for spec in request.images
    )


def asked(request: ResolveRequest) -> list[Gate]:
    """The gates ``request`` asks for, in the family's order, imported now."""
    return [
        cast("Gate", import_module(f"{__package__}.{name}"))
        for name, wanted in _FAMILY
        if wanted(request)
    ]


def run(
    request: ResolveRequest,
    images: Images,
    *,
    clients: EcrClients,
    deadline: Deadline,
    observer: Observer | None = None,
) -> tuple[Images, int]:
    """Every asked gate read, then judged; the ECR calls made. A forward resolution's step."""
    clock = deadline.clock
    started = clock.monotonic()
    calls = 0
    for gate in asked(request):
        left = max(0.0, request.scan_wait_seconds - (clock.monotonic() - started))
        reading = Reading(clients, deadline, wait_seconds=left, observer=observer)
        images, more = gate.read(request, images, reading=reading)
        images, calls = gate.judge(request, images), calls + more
    return images, calls


def read_only(
    request: ResolveRequest, images: Images, *, clients: EcrClients, deadline: Deadline
) -> tuple[Images, int]:
    """Every asked gate read, not waited for and never judged: what a rollback reports."""
    calls = 0
    for gate in asked(request):
        images, more = gate.read(request, images, reading=Reading(clients, deadline))
        calls += more
    return images, calls


def reporting_only(request: ResolveRequest) -> ResolveRequest:
    """``request`` with the gates this family adds reporting instead of failing and nothing
    waited for: how a rollback that must resolve again asks (it must never fail)."""
    return replace(request, images=tuple(_reporting(spec) for spec in request.images))


def _reporting(spec: ImageSpec) -> ImageSpec:
    gates = replace(
        spec.gates,
        on_unsigned=OnUnsigned.REPORT,
        on_lock_mismatch=OnLockMismatch.REPORT,
        replication=None,
    )
    return replace(spec, gates=gates)


# --- what the gates share ---------------------------------------------------------------------


def pinned(image: ImageResult) -> bool:
    """Pinned from ECR — whatever an earlier gate said (a ``Vulnerable`` image reported rather
    than refused is still deployed, and still judged by the gates after it)."""
    return image.source is Source.PREBUILT and bool(image.digest)


def subjects(image: ImageResult) -> tuple[str, ...]:
    """The digests whose signature (or status) vouches for what ``image`` pins: the pinned
    digest, and the index the tag names when the image was pinned to one of its platforms — the
    index lists that image's digest, so signing the index signs it too."""
    digest = image.digest or ""
    tagged = image.tagged_digest
    return (digest, tagged) if tagged and tagged != digest else (digest,)


def blocked(image: ImageResult, status: ImageStatus, detail: str) -> ImageResult:
    """``image`` blocked by a gate — unless an earlier gate blocked it already: one status per
    image, the first gate's (each gate's own verdict stays on the image, for ``enforce``)."""
    if image.status is not ImageStatus.FOUND:
        return image
    return replace(image, status=status, detail=detail)


def refused(verdict: Verdict | None) -> bool:
    """Whether a gate's verdict refuses the image: not admitted, or ECR still at work when the
    wait ended. ``Unknown`` is not a refusal: ``judge`` fails the lookup instead, or reports."""
    return verdict is not None and verdict.state in (VerdictState.BLOCKED, VerdictState.PENDING)


def unjudged(image: ImageResult, verdict: Verdict) -> ImageProblem:
    """An image a gate cannot judge (ECR would not say), for a ``LookupFailedError``."""
    return ImageProblem(image.name, image.image_ref.location, verdict.detail or verdict.value)
