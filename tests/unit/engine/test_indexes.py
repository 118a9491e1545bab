"""Image indexes, parsed without AWS: platforms, attestations, and which child runs where."""

from __future__ import annotations

import json

import pytest

from devkit.ecr_emulator import digest_of
from devkit.image_indexes import (
    DOCKER_MANIFEST,
    OCI_MANIFEST,
    buildx_multiarch,
    buildx_single_with_provenance,
    docker_manifest_list,
    soci_v2_index,
)
from resolver.engine.indexes import (
    DOCKER_MANIFEST_LIST,
    INDEX_MEDIA_TYPES,
    OCI_INDEX,
    ImageIndex,
    IndexEntry,
    read_index,
)
from resolver.errors import UnreadableManifestError
from resolver.platforms import Platform

BUILDX, BUILDX_CHILDREN = buildx_multiarch("unit")
LIST, LIST_CHILDREN = docker_manifest_list("unit")
SINGLE, SINGLE_CHILDREN = buildx_single_with_provenance("unit")
SOCI, SOCI_CHILDREN = soci_v2_index("unit")
SOCI_FIRST, SOCI_FIRST_CHILDREN = soci_v2_index("unit", soci_first=True)
DOCUMENTS = {
    "buildx": BUILDX.decode(),
    "list": LIST.decode(),
    "single": SINGLE.decode(),
    "soci": SOCI.decode(),
    "soci-first": SOCI_FIRST.decode(),
}
CHILDREN = {
    "buildx": BUILDX_CHILDREN,
    "list": LIST_CHILDREN,
    "single": SINGLE_CHILDREN,
    "soci": SOCI_CHILDREN,
    "soci-first": SOCI_FIRST_CHILDREN,
}
IMAGE = json.dumps({"schemaVersion": 2, "mediaType": DOCKER_MANIFEST, "layers": []})


def _index(*items: object, media_type: str | None = OCI_INDEX) -> str:
    document: dict[str, object] = {"schemaVersion": 2, "manifests": list(items)}
    if media_type:
        document["mediaType"] = media_type
    return json.dumps(document)


def _item(digit: str, platform: dict[str, str] | None, **annotations: str) -> dict[str, object]:
    item: dict[str, object] = {"mediaType": OCI_MANIFEST, "digest": "sha256:" + digit * 64}
    if platform is not None:
        item["platform"] = platform
    if annotations:
        item["annotations"] = annotations
    return item


def _read(manifest: str) -> ImageIndex:
    index = read_index(OCI_INDEX, manifest)
    assert index is not None
    return index


def entries(manifest: str) -> tuple[IndexEntry, ...]:
    return _read(manifest).entries


def platforms(manifest: str) -> tuple[Platform, ...]:
    return _read(manifest).platforms


def choose(manifest: str, wanted: Platform) -> IndexEntry | None:
    return _read(manifest).choose(wanted)


def _platform(text: str) -> dict[str, str]:
    os_name, architecture, *variant = text.split("/")
    wire = {"os": os_name, "architecture": architecture}
    if variant:
        wire["variant"] = variant[0]
    return wire


# ---------------------------------------------------------------------------- is_index


@pytest.mark.parametrize(
    ("media_type", "manifest", "expected"),
    [
        (OCI_INDEX, _index(), True),
        (DOCKER_MANIFEST_LIST, _index(media_type=DOCKER_MANIFEST_LIST), True),
        (DOCKER_MANIFEST, None, False),
        (OCI_MANIFEST, None, False),
        # ECR's reported media type decides, whatever the body says.
        (DOCKER_MANIFEST, _index(), False),
        (OCI_INDEX, None, False),  # no document to read: treated as a plain image
        # Without one, the document's own mediaType decides...
        (None, _index(), True),
        ("", _index(media_type=DOCKER_MANIFEST_LIST), True),
        (None, IMAGE, False),
        (None, _index(media_type=OCI_MANIFEST), False),
        # ...and without that, the presence of "manifests" (OCI may omit mediaType).
        (None, _index(media_type=None), True),
        (None, json.dumps({"schemaVersion": 2, "layers": []}), False),
        (None, None, False),
    ],
)
def test_read_index_tells_an_index_from_an_image(
    media_type: str | None, manifest: str | None, expected: bool
) -> None:
    assert (read_index(media_type, manifest) is not None) is expected


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_builders_make_indexes(name: str) -> None:
    assert read_index(None, DOCUMENTS[name]) is not None
    assert json.loads(DOCUMENTS[name])["mediaType"] in INDEX_MEDIA_TYPES


# ---------------------------------------------------------------------------- entries


@pytest.mark.parametrize(
    ("name", "runnable", "attestations"),
    [
        ("buildx", ["linux/amd64", "linux/arm64/v8"], 2),
        ("list", ["linux/amd64", "linux/arm/v7", "linux/arm64/v8"], 0),
        ("single", ["linux/amd64"], 1),
        ("soci", ["linux/amd64"], 0),
        ("soci-first", ["linux/amd64"], 0),
    ],
)
def test_entries_and_platforms(name: str, runnable: list[str], attestations: int) -> None:
    found = entries(DOCUMENTS[name])
    assert {entry.digest for entry in found} == set(CHILDREN[name])
    assert sum(entry.attestation for entry in found) == attestations
    assert [str(p) for p in platforms(DOCUMENTS[name])] == runnable


def test_buildx_attestation_entries_point_at_their_image() -> None:
    document = json.loads(BUILDX)
    images = {entry.digest for entry in entries(BUILDX.decode()) if not entry.attestation}
    for item, entry in zip(document["manifests"], entries(BUILDX.decode()), strict=True):
        if entry.attestation:
            assert entry.platform == Platform("unknown", "unknown")
            assert item["annotations"]["vnd.docker.reference.digest"] in images


@pytest.mark.parametrize(
    ("item", "attestation"),
    [
        (_item("a", _platform("unknown/unknown")), True),
        (
            _item(
                "a",
                _platform("linux/amd64"),
                **{"vnd.docker.reference.type": "attestation-manifest"},
            ),
            True,
        ),
        (_item("a", None, **{"vnd.docker.reference.type": "attestation-manifest"}), True),
        (_item("a", _platform("linux/amd64"), **{"vnd.docker.reference.type": "other"}), False),
        (_item("a", _platform("linux/amd64")), False),
        (_item("a", None), False),
    ],
)
def test_attestation_marks(item: dict[str, object], attestation: bool) -> None:
    (entry,) = entries(_index(item))
    assert entry.attestation is attestation


def test_entries_keep_order_and_normalise_platforms() -> None:
    document = _index(
        _item("a", {"os": "Linux", "architecture": "aarch64"}),
        {"digest": "sha256:" + "b" * 64, "platform": {"os": "linux"}},
        _item("c", {"os": "linux", "architecture": "arm", "variant": "7"}),
    )
    assert entries(document) == (
        IndexEntry("sha256:" + "a" * 64, Platform("linux", "arm64"), False),
        IndexEntry("sha256:" + "b" * 64, None, False),
        IndexEntry("sha256:" + "c" * 64, Platform("linux", "arm", "v7"), False),
    )
    assert platforms(document) == (Platform("linux", "arm", "v7"), Platform("linux", "arm64"))


def test_platforms_are_unique() -> None:
    document = _index(_item("a", _platform("linux/amd64")), _item("b", _platform("linux/amd64")))
    assert platforms(document) == (Platform("linux", "amd64"),)


# ---------------------------------------------------------------------------- choose


def _digest_of_entry(name: str, position: int) -> str:
    return str(json.loads(DOCUMENTS[name])["manifests"][position]["digest"])


@pytest.mark.parametrize(
    ("name", "wanted", "position"),
    [
        ("buildx", "linux/amd64", 0),
        ("buildx", "linux/arm64", 1),
        ("buildx", "linux/arm64/v8", 1),
        ("buildx", "linux/aarch64", 1),
        ("buildx", "linux/arm/v7", None),
        ("buildx", "linux/arm64/v9", None),
        ("buildx", "windows/amd64", None),
        ("buildx", "unknown/unknown", None),
        ("list", "linux/amd64", 0),
        ("list", "linux/arm/v7", 1),
        ("list", "linux/armhf", 1),
        ("list", "linux/arm", 1),
        ("list", "linux/arm/v6", None),
        ("list", "linux/arm64", 2),
        ("list", "linux/arm64/v8", 2),
        ("list", "linux/x86_64", 0),
        ("single", "linux/amd64", 0),
        ("single", "linux/arm64", None),
        ("single", "unknown/unknown", None),
        # SOCI v2: the SOCI index shares the image's platform; the image is chosen either way.
        ("soci", "linux/amd64", 0),
        ("soci-first", "linux/amd64", 1),
        ("soci", "linux/arm64", None),
    ],
)
def test_choose_on_built_indexes(name: str, wanted: str, position: int | None) -> None:
    chosen = choose(DOCUMENTS[name], Platform.parse(wanted))
    if position is None:
        assert chosen is None
    else:
        assert chosen is not None
        assert chosen.digest == _digest_of_entry(name, position)
        assert not chosen.attestation
        assert digest_of(CHILDREN[name][chosen.digest]) == chosen.digest


@pytest.mark.parametrize(
    ("variants", "wanted", "expected"),
    [
        # No wanted variant: an entry without one first, then the highest variant.
        ([None, "v8"], "linux/arm64", "a"),
        (["v8", None], "linux/arm64", "b"),
        (["v6", "v7", "v5"], "linux/arm", "b"),
        (["v7", None, "v6"], "linux/arm", "b"),
        # arm64's v8 is its default: either form matches either entry...
        ([None], "linux/arm64/v8", "a"),
        (["v8"], "linux/arm64", "a"),
        # ...but an exact variant wins over the default.
        ([None, "v8"], "linux/arm64/v8", "b"),
        # Other variants must match exactly.
        ([None], "linux/arm/v7", None),
        (["v7"], "linux/arm/v6", None),
        (["v9"], "linux/arm64/v8", None),
        # Duplicates: the first in the document.
        (["v7", "v7"], "linux/arm/v7", "a"),
    ],
)
def test_choose_variant_rules(
    variants: list[str | None], wanted: str, expected: str | None
) -> None:
    arch = Platform.parse(wanted).architecture
    items = [
        _item(digit, {"os": "linux", "architecture": arch, **({"variant": v} if v else {})})
        for digit, v in zip("abc", variants, strict=False)
    ]
    chosen = choose(_index(*items), Platform.parse(wanted))
    assert (chosen.digest[7] if chosen else None) == expected


def test_choose_never_picks_an_attestation() -> None:
    document = _index(
        _item(
            "a", _platform("linux/amd64"), **{"vnd.docker.reference.type": "attestation-manifest"}
        ),
        _item("b", _platform("unknown/unknown")),
    )
    assert choose(document, Platform.parse("linux/amd64")) is None
    assert choose(document, Platform("unknown", "unknown")) is None
    assert platforms(document) == ()


def test_soci_v2_entries_are_artifacts_that_point_at_their_image() -> None:
    for document in (SOCI.decode(), SOCI_FIRST.decode()):
        found = entries(document)
        (soci,) = [
            e for e in found if e.artifact_type == "application/vnd.amazon.soci.index.v2+json"
        ]
        (image,) = [e for e in found if e.runnable]
        assert soci.platform == image.platform == Platform("linux", "amd64")
        assert not soci.runnable and not soci.attestation
        wire = {m["digest"]: m for m in json.loads(document)["manifests"]}
        assert wire[soci.digest]["annotations"] == {
            "com.amazon.soci.image-manifest-digest": image.digest
        }
        image_manifest = json.loads(CHILDREN["soci"][image.digest])
        assert image_manifest["annotations"]["com.amazon.soci.index-digest"] == soci.digest
        assert _read(document).runnable_digests == (image.digest,)


@pytest.mark.parametrize(
    "artifact_type",
    [
        "application/vnd.amazon.soci.index.v2+json",
        "application/vnd.cncf.notary.signature",  # a Notation signature
        "application/spdx+json",  # an SBOM
        "application/vnd.example.anything",
    ],
)
@pytest.mark.parametrize("artifact_first", [True, False])
def test_entries_with_an_artifact_type_are_never_chosen(
    artifact_type: str, artifact_first: bool
) -> None:
    artifact = {**_item("a", _platform("linux/amd64")), "artifactType": artifact_type}
    image = _item("b", _platform("linux/amd64"))
    document = _index(*([artifact, image] if artifact_first else [image, artifact]))
    chosen = choose(document, Platform.parse("linux/amd64"))
    assert chosen is not None and chosen.digest == "sha256:" + "b" * 64
    assert choose(_index(artifact), Platform.parse("linux/amd64")) is None
    assert platforms(_index(artifact)) == ()
    assert platforms(document) == (Platform("linux", "amd64"),)


@pytest.mark.parametrize("value", ["", 7, None])
def test_an_empty_or_malformed_artifact_type_is_no_artifact_type(value: object) -> None:
    item = {**_item("a", _platform("linux/amd64")), "artifactType": value}
    (entry,) = entries(_index(item))
    assert entry.artifact_type is None and entry.runnable


# ---------------------------------------------------------------------------- malformed


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        ("{", "not valid JSON"),
        ("", "not valid JSON"),
        ("[]", "JSON list, not an object"),
        ('"text"', "JSON str, not an object"),
        (IMAGE, "no 'manifests' list"),
        (json.dumps({"manifests": {}}), "no 'manifests' list"),
        (_index("sha256:" + "a" * 64), "entry 0 is not an object"),
        (_index(_item("a", None), {"mediaType": OCI_MANIFEST}), "entry 1 has no valid digest"),
        (_index({"digest": ""}), "entry 0 has no valid digest"),
        (_index({"digest": 42}), "entry 0 has no valid digest"),
        (_index({"digest": "sha256"}), "entry 0 has no valid digest"),
        (_index({"digest": "sha256:abc/../x"}), "entry 0 has no valid digest"),
    ],
)
def test_malformed_documents_raise_their_own_error(manifest: str, message: str) -> None:
    with pytest.raises(UnreadableManifestError, match=message):
        read_index(OCI_INDEX, manifest)


@pytest.mark.parametrize("manifest", ["{", "[]", "null"])
def test_a_document_that_has_to_be_read_must_be_an_object(manifest: str) -> None:
    with pytest.raises(UnreadableManifestError, match="image manifest"):
        read_index(None, manifest)


def test_a_programming_error_is_not_an_unreadable_manifest() -> None:
    # Only documents are judged unreadable; anything else propagates as what it is.
    assert not issubclass(UnreadableManifestError, (TypeError, ValueError))
