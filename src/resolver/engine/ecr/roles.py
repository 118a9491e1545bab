"""Reading a registry through an IAM role: ``sts:AssumeRole``, once per role per invocation.

``clients`` decides which registries a role serves; this module assumes it. A role is assumed on
its first use and its credentials kept for the invocation: one STS call per role, however many
registries, regions and concurrent reads use it. A refusal is kept as well, so it is not asked
again for every read, and every read of that role's registries fails with the same words. Nothing
outlives the invocation: the session name (the stack and logical id that asked, which the role's
account sees in CloudTrail) differs from one invocation to the next.

STS is asked through the regional endpoint of the caller's own region, which is in the caller's
partition (``properties`` checked that the role's is the same). botocore uses regional endpoints
by default only since 1.40 (boto/boto3#4583; the Lambda runtime's may be older): the global
``sts.amazonaws.com`` of the legacy setting is replaced here by the region's own. Errors name the
role and the fix — a trust policy that does not admit the caller, expired credentials, STS
deactivated in the region — and are codes compared, never messages parsed.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import BotoCoreError, ClientError

from ...errors import clip
from ...model import AssumedRole
from ...values import frozen
from .failures import EcrFailure, RoleUnavailableError, failure_from

# STS AssumeRole's RoleSessionName: 2-64 characters of [\w+=,.@-].
MIN_SESSION_NAME = 2
MAX_SESSION_NAME = 64
_NOT_IN_SESSION_NAME = re.compile(r"[^\w+=,.@-]", re.ASCII)
DEFAULT_SESSION_NAME = "image-resolver"
_GLOBAL_STS_HOST = "sts.amazonaws.com"  # botocore's legacy endpoint, before 1.40 the default

# The caller's own credentials have expired (STS answers either code).
_EXPIRED = frozenset({"ExpiredToken", "ExpiredTokenException"})


def session_name(*parts: str) -> str:
    """A RoleSessionName made of ``parts`` (joined by ``.``): characters STS refuses become
    ``-``, and a name over 64 characters keeps its start and a hash of the whole, so that two
    long names stay apart in CloudTrail."""
    text = _NOT_IN_SESSION_NAME.sub("-", ".".join(part for part in parts if part))
    if len(text) < MIN_SESSION_NAME:
        return DEFAULT_SESSION_NAME
    if len(text) <= MAX_SESSION_NAME:
        return text
    digest = hashlib.sha256(text.encode()).hexdigest()[:8]
    return f"{text[: MAX_SESSION_NAME - len(digest) - 1]}-{digest}"


@frozen
class Credentials:
    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str = field(repr=False)

    def as_client_arguments(self) -> dict[str, str]:
        return {
            "aws_access_key_id": self.access_key_id,
            "aws_secret_access_key": self.secret_access_key,
            "aws_session_token": self.session_token,
        }


@dataclass
class _Slot:
    """One role's answer, filled once: threads that need the role meanwhile wait on the lock."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    answer: Credentials | EcrFailure | None = None


class RoleSessions:
    """The roles one invocation assumed: their credentials, or why STS refused them.

    ``sts`` gives the STS client of the caller's own credentials, in their own region; ``caller``
    names the caller for a refusal (asked only then).
    """

    def __init__(self, *, sts: Callable[[], Any], name: str, caller: Callable[[], str]) -> None:
        self._sts = sts
        self.name = name
        self._caller = caller
        self._slots: dict[AssumedRole, _Slot] = {}
        self._lock = threading.Lock()

    def credentials(self, role: AssumedRole) -> Credentials:
        """``role``'s credentials, assumed on first use; raises ``RoleUnavailableError``."""
        with self._lock:
            slot = self._slots.setdefault(role, _Slot())
        with slot.lock:  # other roles are assumed meanwhile; this one only once
            if slot.answer is None:
                slot.answer = self._assume(role)
        if isinstance(slot.answer, EcrFailure):
            raise RoleUnavailableError(slot.answer)
        return slot.answer

    def _assume(self, role: AssumedRole) -> Credentials | EcrFailure:
        external = {"ExternalId": role.external_id} if role.external_id else {}
        sts = self._sts()
        try:
            answer = sts.assume_role(RoleArn=role.arn, RoleSessionName=self.name, **external)
        except (ClientError, BotoCoreError) as exc:
            return self._refusal(role, failure_from(exc), region=sts.meta.region_name)
        given = answer["Credentials"]
        return Credentials(
            str(given["AccessKeyId"]), str(given["SecretAccessKey"]), str(given["SessionToken"])
        )

    def _refusal(self, role: AssumedRole, failure: EcrFailure, *, region: str) -> EcrFailure:
        """What a refusal means, in words that name the role and the fix."""
        asked = f"sts:AssumeRole on {role.arn}"
        if failure.code == "AccessDenied":
            with_id = " with this ExternalId" if role.external_id else ""
            why = (
                f"{asked} was refused: its trust policy must allow {self._caller()}{with_id}, "
                "whose own policy must allow sts:AssumeRole on the role (for the function: its "
                "stack's AssumableRoleArns)"
            )
        elif failure.code in _EXPIRED:
            why = f"{asked} was refused: the credentials asking have expired; renew them"
        elif failure.code == "RegionDisabledException":
            why = (
                f"{asked} was refused: STS is deactivated in {region} for the caller's "
                "account; activate it (IAM, Account settings, Security Token Service endpoints)"
            )
        else:
            why = f"{asked} failed: {clip(failure.message, 160)}"
        return EcrFailure(failure.code, why)


def regional_sts(
    make: Callable[..., Any], region: str, dns_suffix: str, *, endpoint_url: str | None
) -> Any:
    """An STS client of ``region``'s own endpoint from ``make(endpoint_url=...)``: the endpoint
    given, else botocore's — unless that is the global one (botocore before 1.40, or
    ``sts_regional_endpoints = legacy``), which is replaced by the region's."""
    if endpoint_url is not None:
        return make(endpoint_url=endpoint_url)
    client = make(endpoint_url=None)
    if urlsplit(client.meta.endpoint_url).hostname != _GLOBAL_STS_HOST:
        return client  # regional already, or an endpoint configured (AWS_ENDPOINT_URL_STS)
    return make(endpoint_url=f"https://sts.{region}.{dns_suffix}")
