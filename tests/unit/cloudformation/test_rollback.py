"""Rollbacks never FAILED: the record first, then what can be read, then every key empty."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from botocore.stub import Stubber

from resolver.cloudformation.events import RequestType
from resolver.cloudformation.handler import handle
from resolver.cloudformation.physical_id import RecordKind, parse
from resolver.cloudformation.response import Status
from resolver.cloudformation.rollback import rollback_target
from resolver.engine import Deadline
from resolver.engine.ecr.clients import EcrClients
from resolver.model import RollbackState
from resolver.properties import parse_request
from resolver.references import Registry

from .test_handler import (
    Context,
    Stacks,
    answer_found,
    created_then_rolled_back,
    one_image,
    services,
)


class Broken(EcrClients):
    """Clients that fail in a way no ECR answer does: a bug, or a library fault."""

    def for_registry(self, registry: Registry) -> Any:
        raise ZeroDivisionError("internal detail")


def test_whatever_escapes_a_rollback_is_answered_from_the_record(stubber: Stubber) -> None:
    """0.2 answered SUCCESS with empty Data here, although the id held the exact set."""
    answer_found(stubber)
    platforms = one_image(Attributes="Uri,Platforms")  # a replay reads them again, by digest
    created = handle(platforms, Context(), services=services(stubber))
    assert created.status is Status.SUCCESS
    rollback = replace(
        platforms,
        request_type=RequestType.UPDATE,
        physical_resource_id=created.physical_resource_id,
    )
    svc = replace(services(stubber, Stacks(rolling=True)), clients=Broken())
    answer = handle(rollback, Context(), services=svc)
    assert answer.status is Status.SUCCESS
    assert answer.data == created.data  # the recorded URIs; Platforms was "" for a plain image
    assert svc.metrics.added["RollbackDegraded"] == 1  # type: ignore[union-attr]


def test_without_a_record_every_key_is_there_and_empty(stubber: Stubber) -> None:
    stacks = Stacks(rolling=True)
    _, rollback = created_then_rolled_back(stubber, stacks)
    legacy = replace(rollback, physical_resource_id="cloudtak-dev-Images-8de3296763")
    svc = replace(services(stubber, stacks), clients=Broken())
    answer = handle(legacy, Context(), services=svc)
    assert answer.status is Status.SUCCESS
    assert answer.data == {
        "Api.Uri": "",
        "Api.Digest": "",
        "Api.Status": "",
        "Api.BuildRequired": "",
        "BuildRequired": "",
        "MissingImages": "",
        "Revision": "",
        "Version": "",
        "RollbackTarget": "",
        "RollbackRecord": "",
    }


def test_nothing_readable_at_all_still_succeeds_with_the_keys_it_can_name(
    stubber: Stubber,
) -> None:
    stacks = Stacks(rolling=True)
    _, rollback = created_then_rolled_back(stubber, stacks)
    broken = replace(rollback, properties={"Images": "garbage"})
    svc = services(stubber, stacks)
    answer = handle(broken, Context(), services=svc)
    assert answer.status is Status.SUCCESS
    assert set(answer.data) >= {"BuildRequired", "MissingImages", "RollbackRecord"}
    assert svc.metrics.added["RollbackDegraded"] == 1  # type: ignore[union-attr]


def test_the_way_back_is_unknown_without_a_usable_record(stubber: Stubber) -> None:
    previous = parse_request(
        one_image().properties, default_registry=Registry("123456789012", "ap-southeast-2")
    )
    clients = EcrClients(client=stubber.client)
    unknown, calls = rollback_target(None, previous, clients=clients, deadline=Deadline())
    assert (unknown.state, calls) == (RollbackState.UNKNOWN, 0)
    assert "earlier version" in unknown.reason
    created, _ = created_then_rolled_back(stubber, Stacks())
    recorded = parse(created.physical_resource_id)
    assert recorded is not None and recorded.kind is RecordKind.FULL
    dropped = replace(recorded, images=None, version=None)
    target, calls = rollback_target(dropped, previous, clients=clients, deadline=Deadline())
    assert (target.state, calls) == (RollbackState.UNKNOWN, 0)
    assert "did not fit" in target.reason


def test_a_rollback_resolved_again_is_never_gated(stubber: Stubber) -> None:
    """No record (an id 0.1 made), a vulnerability gate, and findings ECR will not give: the
    gate cannot judge, which fails a Create, but the way back is answered all the same."""
    stacks = Stacks(rolling=True)
    gated = one_image(FailOnSeverity="HIGH")
    rollback = replace(
        gated,
        request_type=RequestType.UPDATE,
        physical_resource_id="cloudtak-dev-Images-8de3296763",
    )
    digest = answer_found(stubber)
    stubber.add_client_error("describe_image_scan_findings", "AccessDeniedException", "no")
    answer_found(stubber)  # looked up again, without the gate
    svc = services(stubber, stacks)
    answer = handle(rollback, Context(), services=svc)
    assert answer.status is Status.SUCCESS
    assert answer.data["Api.Uri"].endswith(f"/app@{digest}")
    assert svc.metrics.added["RollbackDegraded"] == 1  # type: ignore[union-attr]
