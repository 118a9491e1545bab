"""A local ECR: moto's server on 127.0.0.1, plus helpers to push images the way a registry would.

Digests are the sha256 of the exact manifest bytes pushed, as in real ECR (moto would otherwise
invent one).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import boto3

ACCOUNT_ID = "123456789012"  # moto's default account
REGION = "ap-southeast-2"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"

# Hermetic credentials for the emulator; nothing here can reach AWS.
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}


def manifest(seed: str) -> bytes:
    """A Docker v2 image manifest whose config and layer digests derive from ``seed``."""

    def digest(text: str) -> str:
        return "sha256:" + hashlib.sha256(text.encode()).hexdigest()

    body = {
        "schemaVersion": 2,
        "mediaType": DOCKER_MANIFEST,
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": 1469,
            "digest": digest(f"config:{seed}"),
        },
        "layers": [
            {
                "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                "size": 3370706,
                "digest": digest(f"layer:{seed}"),
            }
        ],
    }
    return json.dumps(body, indent=3).encode()


def digest_of(manifest_bytes: bytes) -> str:
    return "sha256:" + hashlib.sha256(manifest_bytes).hexdigest()


def push(
    client: Any,
    repository: str,
    tag: str,
    manifest_bytes: bytes,
    *,
    media_type: str = DOCKER_MANIFEST,
) -> str:
    """``PutImage`` with the manifest's true digest; returns that digest."""
    digest = digest_of(manifest_bytes)
    client.put_image(
        repositoryName=repository,
        imageManifest=manifest_bytes.decode(),
        imageManifestMediaType=media_type,
        imageTag=tag,
        imageDigest=digest,
    )
    return digest


def ensure_repository(client: Any, name: str) -> None:
    with contextlib.suppress(client.exceptions.RepositoryAlreadyExistsException):
        client.create_repository(repositoryName=name)


def _answer_pull_through_cache_rules() -> None:
    """moto 5.2 has no DescribePullThroughCacheRules: it answers HTTP 500, which botocore retries
    for seconds. The resolver asks it whenever an image is not found, so the emulator answers as
    a registry without pull-through cache rules (tests that need rules use botocore's Stubber)."""
    from moto.core.responses import ActionResult
    from moto.ecr.responses import ECRResponse

    def describe_pull_through_cache_rules(self: ECRResponse) -> ActionResult:
        return ActionResult({"pullThroughCacheRules": []})

    if not hasattr(ECRResponse, "describe_pull_through_cache_rules"):
        ECRResponse.describe_pull_through_cache_rules = describe_pull_through_cache_rules  # type: ignore[attr-defined]


def _answer_tags_as_ecr_does() -> None:
    """Two corrections where moto 5.2 and ECR part ways on tags, which protection adds.

    * ``BatchGetImage`` by tag answers each image with the tag *asked for* (ECR echoes the
      request's ``imageId``); moto answers with the image's newest tag, so once an image gains a
      tag, lookups by its older tags come back unmatched.
    * ``PutImage`` of a tag that another image holds, in a repository with immutable tags (and no
      exclusion filter matching it), is ``ImageTagAlreadyExistsException`` in ECR; moto raises
      ``ImageAlreadyExistsException``, ECR's answer for "this image already has this tag".
    """
    import copy
    import fnmatch

    from moto.core.exceptions import ServiceException
    from moto.ecr.models import ECRBackend

    if getattr(ECRBackend, "_tags_as_ecr_does", False):
        return

    class ImageTagAlreadyExistsException(ServiceException):
        code = "ImageTagAlreadyExistsException"

    def batch_get_image(
        self: ECRBackend,
        repository_name: str,
        registry_id: str | None = None,
        image_ids: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        response = fetch(self, repository_name, registry_id, image_ids)
        images = self.repositories[repository_name].images
        answered = []
        for image_id in image_ids or []:
            tag, digest = image_id.get("imageTag"), image_id.get("imageDigest")
            for image in images:
                if (digest and image.get_image_digest() == digest) or (
                    tag and tag in image.image_tags
                ):
                    echoed = copy.copy(image)
                    if tag:
                        echoed.image_tag = str(tag)  # the tag asked for, not the newest
                    answered.append(echoed)
        response["images"] = answered
        return response

    def put_image(
        self: ECRBackend,
        repository_name: str,
        image_manifest: str,
        image_tag: str,
        *rest: Any,  # media type and digest, passed on as moto's responses pass them
    ) -> Any:
        repository = self.repositories.get(repository_name)
        if repository is not None and image_tag and repository.is_tag_immutable():
            excluded = any(
                fnmatch.fnmatchcase(image_tag, rule["filter"])
                for rule in repository.image_tag_mutability_exclusion_filters or []
            )
            holders = [image for image in repository.images if image_tag in image.image_tags]
            if (
                holders
                and not excluded
                and all(i.image_manifest != image_manifest for i in holders)
            ):
                raise ImageTagAlreadyExistsException(
                    f"The image tag '{image_tag}' already exists in the '{repository_name}' "
                    "repository and cannot be overwritten because the repository is immutable."
                )
        return store(self, repository_name, image_manifest, image_tag, *rest)

    fetch, store = ECRBackend.batch_get_image, ECRBackend.put_image
    ECRBackend.batch_get_image = batch_get_image  # type: ignore[method-assign]
    ECRBackend.put_image = put_image  # type: ignore[method-assign,assignment]
    ECRBackend._tags_as_ecr_does = True  # type: ignore[attr-defined]


# --- signing, referrers, replication: what moto 5.2 does not emulate ----------------------------
#
# ECR's DescribeImageSigningStatus, ListImageReferrers and DescribeImageReplicationStatus, answered
# from a small state that tests set (``set_signing_status``, ``add_referrer``,
# ``set_replication_status``), in the shapes of botocore's service model. The state lives on moto's
# per-account, per-region backend, so moto's reset clears it with everything else. Only the shapes
# are ECR's: what ECR reports right after a push (a status list still empty?) is not known here.


@dataclass
class _SupplyChain:
    signing: dict[tuple[str, str], list[dict[str, str]]] = field(default_factory=dict)
    referrers: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    replication: dict[tuple[str, str], list[dict[str, str]]] = field(default_factory=dict)


def _supply_chain(backend: Any) -> _SupplyChain:
    state: _SupplyChain = backend.__dict__.setdefault(
        "_image_resolver_supply_chain", _SupplyChain()
    )
    return state


def _backend(region: str) -> Any:
    from moto.backends import get_backend  # moto is a dev dependency: imported when used

    return get_backend("ecr")[ACCOUNT_ID][region]


def set_signing_status(  # noqa: PLR0913 - a test's whole arrangement in one call
    repository: str,
    digest: str,
    profile_arn: str,
    status: str,
    *,
    failure_code: str = "",
    failure_reason: str = "",
    region: str = REGION,
) -> None:
    """Make ECR report ``status`` for ``profile_arn`` on ``digest`` (replacing that profile's)."""
    entries = _supply_chain(_backend(region)).signing.setdefault((repository, digest), [])
    entries[:] = [e for e in entries if e["signingProfileArn"] != profile_arn]
    entry = {"signingProfileArn": profile_arn, "status": status}
    if failure_code:
        entry |= {"failureCode": failure_code, "failureReason": failure_reason}
    entries.append(entry)


def add_referrer(  # noqa: PLR0913 - a test's whole arrangement in one call
    repository: str,
    subject: str,
    artifact_type: str,
    *,
    annotations: dict[str, str] | None = None,
    status: str = "ACTIVE",
    region: str = REGION,
) -> str:
    """Store an artifact (a signature, an SBOM) referring to ``subject``; returns its digest."""
    referrers = _supply_chain(_backend(region)).referrers.setdefault((repository, subject), [])
    digest = digest_of(f"{subject}:{artifact_type}:{len(referrers)}".encode())
    referrers.append(
        {
            "digest": digest,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "artifactType": artifact_type,
            "size": 1024,
            "annotations": dict(annotations or {}),
            "artifactStatus": status,
        }
    )
    return digest


def set_replication_status(  # noqa: PLR0913 - a test's whole arrangement in one call
    repository: str,
    digest: str,
    destination: str,
    status: str,
    *,
    failure_code: str = "",
    registry_id: str = ACCOUNT_ID,
    region: str = REGION,
) -> None:
    """Make ECR report ``status`` for replicating ``digest`` to ``destination`` (a region)."""
    entries = _supply_chain(_backend(region)).replication.setdefault((repository, digest), [])
    entries[:] = [
        e for e in entries if (e["region"], e["registryId"]) != (destination, registry_id)
    ]
    entry = {"region": destination, "registryId": registry_id, "status": status}
    if failure_code:
        entry["failureCode"] = failure_code
    entries.append(entry)


def _answer_supply_chain_reads() -> None:
    """Add the three operations to moto's ECR responses (moto answers unknown ones with 500)."""
    from moto.core.responses import ActionResult
    from moto.ecr.exceptions import InvalidParameterException
    from moto.ecr.responses import ECRResponse

    def image(self: ECRResponse) -> tuple[str, str]:
        """The repository and digest asked about; ECR's errors for a missing one."""
        name = self._get_param("repositoryName")
        repository = self.ecr_backend._get_repository(name, self._get_param("registryId"))
        image_id = self._get_param("imageId") or self._get_param("subjectId") or {}
        found = repository._get_image(image_id.get("imageTag"), image_id.get("imageDigest"))
        return name, found.get_image_digest()

    def describe_image_signing_status(self: ECRResponse) -> ActionResult:
        name, digest = image(self)
        statuses = _supply_chain(self.ecr_backend).signing.get((name, digest), [])
        return ActionResult(
            {
                "repositoryName": name,
                "imageId": {"imageDigest": digest},
                "registryId": self.current_account,
                "signingStatuses": statuses,
            }
        )

    def list_image_referrers(self: ECRResponse) -> ActionResult:
        name, digest = image(self)
        wanted = self._get_param("filter") or {}
        types = wanted.get("artifactTypes")
        status = wanted.get("artifactStatus", "ACTIVE")
        size = int(self._get_param("maxResults") or 50)
        if not 1 <= size <= 50:  # the API's FiftyMaxResults
            raise InvalidParameterException("maxResults must be between 1 and 50")
        listed = [
            r
            for r in _supply_chain(self.ecr_backend).referrers.get((name, digest), [])
            if (not types or r["artifactType"] in types)
            and (status == "ANY" or r["artifactStatus"] == status)
        ]
        start = int(self._get_param("nextToken") or 0)
        page = listed[start : start + size]
        answer: dict[str, Any] = {"referrers": page}
        if start + size < len(listed):
            answer["nextToken"] = str(start + size)
        return ActionResult(answer)

    def describe_image_replication_status(self: ECRResponse) -> ActionResult:
        name, digest = image(self)
        statuses = _supply_chain(self.ecr_backend).replication.get((name, digest), [])
        return ActionResult(
            {
                "repositoryName": name,
                "imageId": {"imageDigest": digest},
                "replicationStatuses": statuses,
            }
        )

    for handler in (
        describe_image_signing_status,
        list_image_referrers,
        describe_image_replication_status,
    ):
        if not hasattr(ECRResponse, handler.__name__):
            setattr(ECRResponse, handler.__name__, handler)


class EcrEmulator:
    """moto's server, on an ephemeral port of 127.0.0.1."""

    def __init__(self, *, port: int = 0) -> None:
        from moto.server import ThreadedMotoServer

        _answer_pull_through_cache_rules()
        _answer_tags_as_ecr_does()
        _answer_supply_chain_reads()
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        self.endpoint = ""

    def start(self) -> EcrEmulator:
        # werkzeug logs every request to stderr; the emulator's chatter is not the user's output.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        # moto keeps its state per process, not per server: a new emulator starts empty, whatever
        # an earlier one in this process (another test module's) left behind.
        reset = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")
        urllib.request.urlopen(reset, timeout=5).close()
        return self

    def stop(self) -> None:
        self._server.stop()

    def client(self, region: str = REGION, *, account: str = ACCOUNT_ID) -> Any:
        """An ECR client of ``account`` (moto's default one, or another: ``credentials_in``)."""
        return self.client_of("ecr", region, account=account)

    def client_of(self, service: str, region: str = REGION, *, account: str = ACCOUNT_ID) -> Any:
        keys = (
            {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
            if account == ACCOUNT_ID
            else self.credentials_in(account)
        )
        make: Any = boto3.client  # typed per service name; this one takes any
        return make(service, region_name=region, endpoint_url=self.endpoint, **keys)

    def credentials_in(self, account: str) -> dict[str, str]:
        """Credentials moto takes for ``account``'s: an assumed role's are its account's (moto
        neither needs the role to exist nor checks a trust policy), so one server holds many
        accounts."""
        sts = boto3.client(
            "sts",
            region_name=REGION,
            endpoint_url=self.endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        given = sts.assume_role(RoleArn=_admin_role(account), RoleSessionName="emulator")[
            "Credentials"
        ]
        return {
            "aws_access_key_id": given["AccessKeyId"],
            "aws_secret_access_key": given["SecretAccessKey"],
            "aws_session_token": given["SessionToken"],
        }

    def role_sessions(self, account: str) -> list[tuple[str, str, str | None]]:
        """Every AssumeRole moto answered for a role of ``account``: (role ARN, session name,
        external id), the way the role's account would see them in CloudTrail."""
        from moto.sts.models import sts_backends  # moto is a dev dependency: imported when used

        backend = sts_backends[account]["aws"]
        return [
            (r.role_arn, r.session_name, r.external_id)
            for r in backend.assumed_roles
            if r.role_arn != _admin_role(account)  # the emulator's own (credentials_in)
        ]

    def set_pushed_at(
        self, repository: str, digest: str, when: datetime, *, region: str = REGION
    ) -> None:
        """Make the emulator report ``digest`` as pushed at ``when``.

        moto stamps a push with the current second and has no API to change it, while lifecycle
        rules count days since a push and order images by it. The server runs in this process,
        so its backend is at hand: this is the one place the project reaches into moto's models.
        """
        from moto.backends import get_backend  # moto is a dev dependency: imported when used

        images = get_backend("ecr")[ACCOUNT_ID][region].repositories[repository].images
        matching = [image for image in images if image.image_digest == digest]
        if not matching:
            raise LookupError(f"{repository} holds no image {digest}")
        for image in matching:
            image.image_pushed_at = int(when.timestamp())

    def move_tag(
        self, repository: str, tag: str, manifest_bytes: bytes, *, region: str = REGION
    ) -> tuple[str, str]:
        """Re-push ``tag`` onto a new image the way ECR does; returns (old digest, new digest).

        In ECR the image the tag left stays in the repository, untagged — which is exactly what an
        "expire untagged images" lifecycle rule then selects. moto deletes it instead; it is put
        back here, untagged, with its original push time.
        """
        client = self.client(region)
        (before,) = client.describe_images(repositoryName=repository, imageIds=[{"imageTag": tag}])[
            "imageDetails"
        ]
        old = before["imageDigest"]
        (previous,) = client.batch_get_image(
            repositoryName=repository, imageIds=[{"imageDigest": old}]
        )["images"]
        new = push(client, repository, tag, manifest_bytes)
        if not client.batch_get_image(repositoryName=repository, imageIds=[{"imageDigest": old}])[
            "images"
        ]:
            client.put_image(
                repositoryName=repository,
                imageManifest=previous["imageManifest"],
                imageManifestMediaType=previous.get("imageManifestMediaType", DOCKER_MANIFEST),
                imageDigest=old,
            )
            self.set_pushed_at(repository, old, before["imagePushedAt"], region=region)
        return old, new

    def environment(self) -> dict[str, str]:
        """What a process needs to talk to this emulator through botocore's standard settings."""
        return {
            **FAKE_CREDENTIALS,
            "AWS_ENDPOINT_URL_ECR": self.endpoint,
            # The custom resource reads its stack's status on Update.
            "AWS_ENDPOINT_URL_CLOUDFORMATION": self.endpoint,
        }


def _admin_role(account: str) -> str:
    return f"arn:aws:iam::{account}:role/emulator-admin"


@contextmanager
def running_emulator(*, port: int = 0) -> Iterator[EcrEmulator]:
    emulator = EcrEmulator(port=port).start()
    try:
        yield emulator
    finally:
        emulator.stop()


@contextmanager
def patched_environ(values: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old
