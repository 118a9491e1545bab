"""Which referrers are signatures, and a listing that pages, on botocore's Stubber."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.stub import Stubber

from resolver.engine.ecr.clients import EcrClients
from resolver.engine.ecr.referrers import (
    COSIGN_SIGNATURE,
    NOTARY_SIGNATURE,
    is_signature,
    signature_referrers,
)
from resolver.engine.fanout import NO_DEADLINE
from resolver.model import ReferrerSignature
from resolver.references import Registry, Repository

REPO = Repository(Registry("123456789012", "ap-southeast-2"), "app")
DIGEST = "sha256:" + "a" * 64
BUNDLE = "application/vnd.dev.sigstore.bundle.v0.3+json"
SIGN = {"dev.sigstore.bundle.predicateType": "https://sigstore.dev/cosign/sign/v1"}
SLSA = {"dev.sigstore.bundle.predicateType": "https://slsa.dev/provenance/v1"}


@pytest.mark.parametrize(
    ("referrer", "kind"),
    [
        ({"artifactType": NOTARY_SIGNATURE}, ReferrerSignature.NOTATION),
        ({"artifactType": COSIGN_SIGNATURE}, ReferrerSignature.SIGSTORE),
        ({"artifactType": BUNDLE, "annotations": SIGN}, ReferrerSignature.SIGSTORE),
        (
            {
                "artifactType": BUNDLE,
                "annotations": {"dev.sigstore.bundle.content": "message-signature"},
            },
            ReferrerSignature.SIGSTORE,
        ),
        ({"artifactType": BUNDLE, "annotations": SLSA}, None),  # an attestation
        ({"artifactType": BUNDLE}, None),  # says nothing of what it carries
        ({"artifactType": "application/spdx+json"}, None),
        ({"artifactType": NOTARY_SIGNATURE, "artifactStatus": "ARCHIVED"}, None),
    ],
)
def test_what_counts_as_a_signature(
    referrer: dict[str, Any], kind: ReferrerSignature | None
) -> None:
    assert is_signature(referrer) is kind


def page(*referrers: dict[str, Any], token: str | None = None) -> dict[str, Any]:
    return {"referrers": list(referrers), **({"nextToken": token} if token else {})}


def expected(token: str | None = None) -> dict[str, Any]:
    return {
        "registryId": "123456789012",
        "repositoryName": "app",
        "subjectId": {"imageDigest": DIGEST},
        "filter": {"artifactTypes": [NOTARY_SIGNATURE]},
        "maxResults": 50,
        **({"nextToken": token} if token else {}),
    }


def test_a_token_handed_back_twice_ends_the_listing(ecr: tuple[EcrClients, Stubber]) -> None:
    clients, stubber = ecr
    stubber.add_response("list_image_referrers", page(token="t1"), expected())
    stubber.add_response("list_image_referrers", page(token="t1"), expected("t1"))
    report = signature_referrers(
        [(REPO, DIGEST)], kinds=[ReferrerSignature.NOTATION], clients=clients, deadline=NO_DEADLINE
    )
    assert report.answers[(REPO, DIGEST)] == (frozenset(), 2)
    assert report.calls == 2
