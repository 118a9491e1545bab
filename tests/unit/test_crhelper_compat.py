"""The crhelper workaround module relies on crhelper's internals: guard them."""

from __future__ import annotations

from importlib.metadata import version

import boto3
import pytest

from resolver.crhelper_compat import CRHELPER_VERSION, BoundedCfnResource, physical_id_for


def test_crhelper_is_the_version_the_workarounds_were_written_for() -> None:
    assert version("crhelper") == CRHELPER_VERSION


def test_construction_builds_no_aws_clients(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a client was created")

    monkeypatch.setattr(boto3, "client", refuse)
    monkeypatch.setattr(boto3.Session, "client", refuse)
    BoundedCfnResource(local=True)


def test_physical_id_is_stable_and_distinct_per_resource() -> None:
    stack = "arn:aws:cloudformation:ap-southeast-2:123456789012:stack/cloudtak-dev/6f1c2a10-cb6e"
    create = {"StackId": stack, "LogicalResourceId": "Images"}
    first = physical_id_for(create)
    assert first == physical_id_for(dict(create))
    assert first.startswith("cloudtak-dev-Images-")
    assert physical_id_for({"StackId": stack, "LogicalResourceId": "Other"}) != first
    assert (
        physical_id_for({"StackId": stack.replace("6f1c", "7f1c"), "LogicalResourceId": "Images"})
        != first
    )
    # Update and Delete carry the id CloudFormation knows; it is returned unchanged.
    assert physical_id_for({**create, "PhysicalResourceId": "given"}) == "given"
