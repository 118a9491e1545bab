"""The gate family: which gates a request asks for (and loads), and what they share."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

from resolver.engine import gates
from resolver.model import (
    Attribute,
    ImageGates,
    ImageStatus,
    OnLockMismatch,
    OnUnsigned,
    ReplicationWait,
    ResolveRequest,
    SignatureRequirement,
    Source,
    Verdict,
    VerdictState,
)

from ...builders import DIGEST, found, missing

SIGNED = SignatureRequirement(
    profiles=("arn:aws:signer:ap-southeast-2:123456789012:/signing-profiles/ci",)
)


def request(
    *, attributes: tuple[Attribute, ...] = (Attribute.URI,), **gate: object
) -> ResolveRequest:
    spec = replace(found("Api").spec, gates=ImageGates(**gate))  # type: ignore[arg-type]
    return ResolveRequest((spec,), attributes=attributes)


def names(request: ResolveRequest) -> list[str]:
    return [gate.__name__.rpartition(".")[2] for gate in gates.asked(request)]  # type: ignore[attr-defined]


def test_only_the_gates_asked_for_run_in_the_familys_order() -> None:
    assert names(request()) == []
    assert names(request(signature=SIGNED)) == ["signature"]
    assert names(request(attributes=(Attribute.SIGNATURE,))) == ["signature"]
    assert names(request(expected_digest=DIGEST)) == ["lock"]
    assert names(request(replication=ReplicationWait())) == ["replication"]
    everything = replace(
        request(signature=SIGNED, expected_digest=DIGEST, replication=ReplicationWait()),
        attributes=(Attribute.FINDINGS,),
    )
    assert names(everything) == ["gate", "signature", "lock", "replication"]


def test_tag_mutability_is_read_for_the_attribute_or_a_gate_that_vouches() -> None:
    assert not gates.hygiene_asked(request())
    assert not gates.hygiene_asked(request(replication=ReplicationWait()))
    assert gates.hygiene_asked(request(attributes=(Attribute.TAG_MUTABILITY,)))
    assert gates.hygiene_asked(request(signature=SIGNED))
    assert gates.hygiene_asked(request(expected_digest=DIGEST))


def test_a_request_that_asks_for_no_gate_loads_none() -> None:
    code = (
        "import sys\n"
        "from resolver.engine import gates\n"
        "from resolver.model import ResolveRequest\n"
        "gates.asked(ResolveRequest(()))\n"
        "print(sorted(m for m in sys.modules if m.rpartition('.')[2] in"
        " {'gate', 'signature', 'lock', 'replication'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_reporting_only_never_refuses_and_never_waits() -> None:
    strict = request(signature=SIGNED, expected_digest=DIGEST, replication=ReplicationWait())
    (spec,) = gates.reporting_only(strict).images
    assert spec.gates.on_unsigned is OnUnsigned.REPORT
    assert spec.gates.on_lock_mismatch is OnLockMismatch.REPORT
    assert spec.gates.replication is None
    assert (spec.gates.signature, spec.gates.expected_digest) == (SIGNED, DIGEST)  # still read


def test_an_index_pinned_to_a_platform_is_vouched_for_by_its_index_too() -> None:
    child = replace(found("Api"), tagged_digest="sha256:" + "2" * 64)
    assert gates.subjects(child) == (DIGEST, "sha256:" + "2" * 64)
    assert gates.subjects(found("Api")) == (DIGEST,)


def test_the_first_gate_to_block_gives_the_status() -> None:
    vulnerable = replace(found("Api"), status=ImageStatus.VULNERABLE, detail="2 at HIGH")
    assert gates.blocked(vulnerable, ImageStatus.UNSIGNED, "unsigned") == vulnerable
    blocked = gates.blocked(found("Api"), ImageStatus.UNSIGNED, "unsigned")
    assert (blocked.status, blocked.detail) == (ImageStatus.UNSIGNED, "unsigned")


def test_a_reported_block_is_still_pinned_and_a_fallback_is_not() -> None:
    assert gates.pinned(replace(found("Api"), status=ImageStatus.VULNERABLE))
    assert not gates.pinned(missing("Api", fallback="local/api:1"))
    assert missing("Api", fallback="local/api:1").source is Source.FALLBACK


def test_what_refuses() -> None:
    assert gates.refused(Verdict(VerdictState.BLOCKED, "Unsigned"))
    assert gates.refused(Verdict(VerdictState.PENDING, "InProgress"))
    assert not gates.refused(Verdict(VerdictState.UNKNOWN, "Unknown: X"))
    assert not gates.refused(Verdict(VerdictState.PASSED, "Signed: ci"))
    assert not gates.refused(None)
