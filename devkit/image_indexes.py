"""Image indexes as real tools push them, for tests and the demo.

Each builder returns ``(index_bytes, children)``: ``children`` maps each child manifest's digest
(the sha256 of its bytes) to those bytes, and the index names every child by that digest and its
byte length, as a registry requires. Field names are those of the OCI image-spec and the Docker
distribution spec. Config and layer blobs are never uploaded: their digests are derived from the
seed, which moto accepts and real ECR would not (``LayersNotFoundException``).

- ``buildx_multiarch``: ``docker buildx build --platform linux/amd64,linux/arm64 --push``.
- ``docker_manifest_list``: a Docker manifest list (``docker manifest create`` / older buildx).
- ``buildx_single_with_provenance``: plain ``docker buildx build --push`` since buildx 0.10 —
  one image plus a provenance attestation, wrapped in an OCI index: the case Lambda rejects.
- ``soci_v2_index``: ``soci convert`` (SOCI Index Manifest v2, what Fargate's lazy loading reads) —
  each image gains a second entry for the same platform, the SOCI index, marked by its
  ``artifactType`` (awslabs/soci-snapshotter ``soci/soci_index.go`` and
  ``docs/soci-index-manifest-v2.md``). The image manifest names its SOCI index in the
  ``com.amazon.soci.index-digest`` annotation, the index entry names the image in
  ``com.amazon.soci.image-manifest-digest``; the SOCI index itself is an OCI manifest whose config
  is the two-byte ``{}`` blob typed ``application/vnd.amazon.soci.index.v2+json`` and whose layers
  are the zTOCs.
"""

from __future__ import annotations

import json
from typing import Any

from devkit.ecr_emulator import digest_of, push
from resolver.engine.indexes import DOCKER_MANIFEST_LIST, OCI_INDEX
from resolver.platforms import Platform

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
IN_TOTO = "application/vnd.in-toto+json"
SOCI_INDEX_V2 = "application/vnd.amazon.soci.index.v2+json"
SOCI_ZTOC = "application/octet-stream"
# sha256 of the two bytes "{}": the config every SOCI index points at.
EMPTY_JSON_DIGEST = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
SLSA_PROVENANCE = "https://slsa.dev/provenance/v0.2"

Built = tuple[bytes, dict[str, bytes]]


def buildx_multiarch(seed: str) -> Built:
    """OCI index: linux/amd64 and linux/arm64/v8 images, each followed by its attestation."""
    return _buildx_index(seed, [Platform("linux", "amd64"), Platform("linux", "arm64", "v8")])


def buildx_single_with_provenance(seed: str, platform: str = "linux/amd64") -> Built:
    """OCI index: one image for ``platform`` and its provenance attestation."""
    return _buildx_index(seed, [Platform.parse(platform)])


def docker_manifest_list(seed: str) -> Built:
    """Docker manifest list: linux/amd64, linux/arm/v7 and linux/arm64/v8 Docker v2 images."""
    targets = [
        Platform("linux", "amd64"),
        Platform("linux", "arm", "v7"),
        Platform("linux", "arm64", "v8"),
    ]
    children: dict[str, bytes] = {}
    descriptors = []
    for target in targets:
        child = _docker_image(f"{seed}:{target}")
        digest = digest_of(child)
        children[digest] = child
        descriptors.append(_descriptor(DOCKER_MANIFEST, digest, child, _wire_platform(target)))
    index = {"schemaVersion": 2, "mediaType": DOCKER_MANIFEST_LIST, "manifests": descriptors}
    # The Docker distribution registry and `docker manifest push` indent by three spaces.
    return json.dumps(index, indent=3).encode(), children


def soci_v2_index(seed: str, platform: str = "linux/amd64", *, soci_first: bool = False) -> Built:
    """OCI index: one image and its SOCI index v2 for the same ``platform``.

    ``soci convert`` appends the SOCI entry after the image; ``soci_first`` puts it first, which
    the OCI image-spec allows (an index is a set: consumers must not rely on its order).
    """
    target = Platform.parse(platform)
    soci = _soci_index(f"{seed}:{target}")
    soci_digest = digest_of(soci)
    image = _oci_image(
        f"{seed}:{target}", annotations={"com.amazon.soci.index-digest": soci_digest}
    )
    image_digest = digest_of(image)
    image_entry = _descriptor(OCI_MANIFEST, image_digest, image, _wire_platform(target))
    soci_entry = {
        **_descriptor(OCI_MANIFEST, soci_digest, soci, _wire_platform(target)),
        "artifactType": SOCI_INDEX_V2,
        "annotations": {"com.amazon.soci.image-manifest-digest": image_digest},
    }
    entries = [soci_entry, image_entry] if soci_first else [image_entry, soci_entry]
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}
    return json.dumps(index, separators=(",", ":")).encode(), {
        image_digest: image,
        soci_digest: soci,
    }


def push_index(  # noqa: PLR0913 -- the shape the demo and tests call: (client, repo, tag, *built)
    client: Any,
    repository: str,
    tag: str,
    index_bytes: bytes,
    children: dict[str, bytes],
    *,
    media_type: str,
) -> str:
    """Push each child by digest, untagged, then the index under ``tag``; return its digest.

    Children already in the repository are not pushed again: moto's ``PutImage`` of a manifest it
    holds under a tag, without a tag, leaves that image's ``imageTag`` unset, so a later
    ``BatchGetImage`` by that tag answers without ``imageTag`` in the ``imageId``.
    """
    present = _present_digests(client, repository, list(children))
    for digest, child in children.items():
        if digest in present:
            continue
        client.put_image(
            repositoryName=repository,
            imageManifest=child.decode(),
            imageManifestMediaType=json.loads(child)["mediaType"],
            imageDigest=digest,
        )
    return push(client, repository, tag, index_bytes, media_type=media_type)


def _present_digests(client: Any, repository: str, digests: list[str]) -> set[str]:
    present: set[str] = set()
    for start in range(0, len(digests), 100):
        response = client.batch_get_image(
            repositoryName=repository,
            imageIds=[{"imageDigest": digest} for digest in digests[start : start + 100]],
        )
        present.update(image["imageId"]["imageDigest"] for image in response["images"])
    return present


def _buildx_index(seed: str, targets: list[Platform]) -> Built:
    children: dict[str, bytes] = {}
    images = []
    attestations = []
    for target in targets:
        image = _oci_image(f"{seed}:{target}")
        image_digest = digest_of(image)
        children[image_digest] = image
        images.append(_descriptor(OCI_MANIFEST, image_digest, image, _wire_platform(target)))
        attestation = _attestation(f"{seed}:{target}")
        attestation_digest = digest_of(attestation)
        children[attestation_digest] = attestation
        attestations.append(
            {
                **_descriptor(
                    OCI_MANIFEST,
                    attestation_digest,
                    attestation,
                    {"architecture": "unknown", "os": "unknown"},
                ),
                "annotations": {
                    "vnd.docker.reference.digest": image_digest,
                    "vnd.docker.reference.type": "attestation-manifest",
                },
            }
        )
    # buildx lists the images first, then their attestations; Go's encoder writes compact JSON.
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": images + attestations}
    return json.dumps(index, separators=(",", ":")).encode(), children


def _descriptor(
    media_type: str, digest: str, body: bytes, platform: dict[str, str]
) -> dict[str, Any]:
    return {"mediaType": media_type, "digest": digest, "size": len(body), "platform": platform}


def _wire_platform(platform: Platform) -> dict[str, str]:
    wire = {"architecture": platform.architecture, "os": platform.os}
    if platform.variant:
        wire["variant"] = platform.variant
    return wire


def _blob(kind: str, seed: str) -> str:
    return digest_of(f"{kind}:{seed}".encode())


def _size(seed: str, low: int, high: int) -> int:
    return low + int(_blob("size", seed)[7:15], 16) % (high - low)


def _oci_image(seed: str, *, annotations: dict[str, str] | None = None) -> bytes:
    body: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {
            "mediaType": OCI_CONFIG,
            "digest": _blob("config", seed),
            "size": _size(seed, 900, 4000),
        },
        "layers": [
            {"mediaType": OCI_LAYER, "digest": _blob(f"layer{n}", seed), "size": size}
            for n, size in enumerate((_size(seed, 2_000_000, 30_000_000), 93, 4_721))
        ],
    }
    if annotations:
        body["annotations"] = annotations
    return json.dumps(body, separators=(",", ":")).encode()


def _soci_index(seed: str) -> bytes:
    """A SOCI index v2: an OCI manifest of zTOCs, one per layer above soci's 10 MiB minimum."""
    body = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": SOCI_INDEX_V2, "digest": EMPTY_JSON_DIGEST, "size": 2},
        "layers": [
            {
                "mediaType": SOCI_ZTOC,
                "digest": _blob("ztoc", seed),
                "size": _size(seed, 20_000, 400_000),
                "annotations": {
                    "com.amazon.soci.image-layer-digest": _blob("layer0", seed),
                    "com.amazon.soci.image-layer-mediaType": OCI_LAYER,
                },
            }
        ],
        "annotations": {"com.amazon.soci.build-tool-identifier": "AWS SOCI CLI v0.2"},
    }
    return json.dumps(body, separators=(",", ":")).encode()


def _docker_image(seed: str) -> bytes:
    body = {
        "schemaVersion": 2,
        "mediaType": DOCKER_MANIFEST,
        "config": {
            "mediaType": DOCKER_CONFIG,
            "size": _size(seed, 900, 4000),
            "digest": _blob("config", seed),
        },
        "layers": [
            {
                "mediaType": DOCKER_LAYER,
                "size": _size(seed, 2_000_000, 30_000_000),
                "digest": _blob("layer", seed),
            }
        ],
    }
    return json.dumps(body, indent=3).encode()


def _attestation(seed: str) -> bytes:
    """buildx's attestation manifest: an empty-ish config and one in-toto provenance layer."""
    body = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": _blob("att-config", seed), "size": 167},
        "layers": [
            {
                "mediaType": IN_TOTO,
                "digest": _blob("provenance", seed),
                "size": _size(seed, 1_000, 20_000),
                "annotations": {"in-toto.io/predicate-type": SLSA_PROVENANCE},
            }
        ],
    }
    return json.dumps(body, separators=(",", ":")).encode()
