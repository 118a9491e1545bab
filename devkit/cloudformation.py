"""A CloudFormation stand-in: one custom resource in one stack, driven the way CloudFormation
drives it, with responses received over HTTP and the stack's status served over HTTP.

The sequences follow the documentation (AWS::CloudFormation::CustomResource; the stack status
reference; the aws-cdk custom-resources README, "Important cases to handle"; aws/aws-cdk#27199 and
PR #29581 show both update sequences):

- **Create** fails → ``ROLLBACK_IN_PROGRESS`` → Delete with the id the Create answered.
- **Update in place** (the answer keeps the id). If the stack update then fails elsewhere, or this
  Update itself FAILED: ``UPDATE_ROLLBACK_IN_PROGRESS`` → an Update with the properties swapped
  (``ResourceProperties`` = the previous ones, ``OldResourceProperties`` = the failed ones) sent to
  the same id. A FAILED answer there is ``UPDATE_ROLLBACK_FAILED``.
- **Replacement** (the answer carries a new id). On success the old id gets a Delete in
  ``UPDATE_COMPLETE_CLEANUP_IN_PROGRESS``. If the stack update fails elsewhere, the stack returns
  to the old id and the attributes recorded for it without calling the resource, and deletes the
  new id in ``UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS``.

``DescribeStacks`` (query protocol) answers the current status, or stalls for ``stall_seconds``
to stand for an endpoint that hangs; ``DescribeStackResource`` answers the resource's id;
``ListStacks`` and ``ListStackResources`` list them (``resolver in-use``).
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from .ecr_emulator import ACCOUNT_ID, REGION
from .lambda_context import LambdaContext
from .loopback import LoopbackServer, QuietHandler
from .receiver import ResponseReceiver

Handler = Callable[[dict[str, Any], Any], None]
SERVICE_TOKEN = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:image-resolver-resolver"


@dataclass
class Resource:
    """What CloudFormation records for the custom resource."""

    properties: dict[str, Any]
    physical_id: str
    attributes: dict[str, str]


@dataclass(frozen=True)
class Call:
    """One event sent to the resolver and the answer CloudFormation received."""

    stack_status: str
    event: dict[str, Any]
    answer: dict[str, Any]

    @property
    def request_type(self) -> str:
        return str(self.event["RequestType"])

    @property
    def status(self) -> str:
        return str(self.answer["Status"])


@dataclass
class Stack:
    """One stack holding one ``Custom::ImageResolver`` resource."""

    handler: Handler
    receiver: ResponseReceiver
    name: str = "consumer"
    logical_id: str = "Images"
    timeout_seconds: float = 120.0
    status: str = "REVIEW_IN_PROGRESS"
    resource: Resource | None = None
    calls: list[Call] = field(default_factory=list)
    stack_id: str = ""
    account: str = ACCOUNT_ID  # the stack's, and its resolver function's
    service_token: str = SERVICE_TOKEN  # the function in that account (its exported ARN)

    def __post_init__(self) -> None:
        self.stack_id = (
            f"arn:aws:cloudformation:{REGION}:{self.account}:stack/{self.name}/{uuid.uuid4()}"
        )

    # --- operations ----------------------------------------------------------------------------

    def create(self, properties: Mapping[str, Any]) -> str:
        """Create the stack; returns its final status."""
        self.status = "CREATE_IN_PROGRESS"
        answer = self._send("Create", properties)
        if answer["Status"] == "SUCCESS":
            self.resource = Resource(dict(properties), answer["PhysicalResourceId"], answer["Data"])
            self.status = "CREATE_COMPLETE"
            return self.status
        self.status = "ROLLBACK_IN_PROGRESS"
        gone = self._send("Delete", properties, physical_id=answer["PhysicalResourceId"])
        self.status = "ROLLBACK_COMPLETE" if gone["Status"] == "SUCCESS" else "ROLLBACK_FAILED"
        return self.status

    def update(self, properties: Mapping[str, Any], *, fails_elsewhere: bool = False) -> str:
        """Update the stack with new properties for the resource; ``fails_elsewhere``: another
        resource of the stack fails after this one was updated. Returns the final status."""
        current = self._current()
        self.status = "UPDATE_IN_PROGRESS"
        answer = self._send(
            "Update", properties, old=current.properties, physical_id=current.physical_id
        )
        succeeded = answer["Status"] == "SUCCESS"
        replaced = succeeded and answer["PhysicalResourceId"] != current.physical_id
        if succeeded and not fails_elsewhere:
            self.resource = Resource(dict(properties), answer["PhysicalResourceId"], answer["Data"])
            self.status = "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"
            if replaced:
                self._send("Delete", current.properties, physical_id=current.physical_id)
            self.status = "UPDATE_COMPLETE"
            return self.status
        self.status = "UPDATE_ROLLBACK_IN_PROGRESS"
        if not replaced:  # updated in place, or this Update failed: swap the properties back
            back = self._send(
                "Update", current.properties, old=properties, physical_id=current.physical_id
            )
            if back["Status"] != "SUCCESS" or back["PhysicalResourceId"] != current.physical_id:
                self.status = "UPDATE_ROLLBACK_FAILED"
                return self.status
            current.attributes = back["Data"]
        self.status = "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS"
        if replaced:
            self._send("Delete", properties, physical_id=answer["PhysicalResourceId"])
        self.status = "UPDATE_ROLLBACK_COMPLETE"
        return self.status

    def delete(self) -> str:
        current = self._current()
        self.status = "DELETE_IN_PROGRESS"
        gone = self._send("Delete", current.properties, physical_id=current.physical_id)
        self.status = "DELETE_COMPLETE" if gone["Status"] == "SUCCESS" else "DELETE_FAILED"
        self.resource = None
        return self.status

    def attributes(self) -> dict[str, str]:
        return dict(self._current().attributes)

    def calls_since(self, mark: int) -> list[Call]:
        return self.calls[mark:]

    # --- the wire ---------------------------------------------------------------------------

    def _function_arn(self) -> str:
        """The context's: the emulator's default function unless another account's is given."""
        return "" if self.service_token == SERVICE_TOKEN else self.service_token

    def _current(self) -> Resource:
        if self.resource is None:
            raise RuntimeError("the stack has no resource (create it first)")
        return self.resource

    def _send(
        self,
        request_type: str,
        properties: Mapping[str, Any],
        *,
        old: Mapping[str, Any] | None = None,
        physical_id: str | None = None,
    ) -> dict[str, Any]:
        request_id = str(uuid.uuid4())
        token = self.service_token
        event: dict[str, Any] = {
            "RequestType": request_type,
            "ServiceToken": token,
            "ResponseURL": self.receiver.url(f"{self.logical_id}/{request_id}"),
            "StackId": self.stack_id,
            "RequestId": request_id,
            "LogicalResourceId": self.logical_id,
            "ResourceType": "Custom::ImageResolver",
            "ResourceProperties": {"ServiceToken": token, **properties},
        }
        if old is not None:
            event["OldResourceProperties"] = {"ServiceToken": token, **old}
        if physical_id is not None:
            event["PhysicalResourceId"] = physical_id
        context = LambdaContext(self.timeout_seconds, function_arn=self._function_arn())
        self.handler(json.loads(json.dumps(event)), context)
        answer = self.receiver.take(timeout=self.timeout_seconds + 5).body
        self.calls.append(Call(self.status, event, answer))
        return answer


class StatusServer:
    """``DescribeStacks`` for the stacks it is given, on 127.0.0.1 (query protocol, XML)."""

    def __init__(self) -> None:
        self.stacks: dict[str, Stack] = {}
        self.stall_seconds = 0.0
        self.requests = 0
        self._release = threading.Event()
        outer = self

        class Answer(QuietHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = parse_qs(self.rfile.read(length).decode())
                outer.requests += 1
                if outer.stall_seconds:
                    outer._release.wait(outer.stall_seconds)
                name = form.get("StackName", [""])[0]
                action = form.get("Action", [""])[0]
                if action == "DescribeStackResource":
                    status, body = outer._describe_resource(name, form["LogicalResourceId"][0])
                elif action == "ListStacks":
                    status, body = outer._list_stacks()
                elif action == "ListStackResources":
                    status, body = outer._list_resources(name)
                else:
                    status, body = outer._describe(name)
                self.reply(status, body, {"Content-Type": "text/xml"})

        self._server = LoopbackServer(Answer)

    @property
    def endpoint(self) -> str:
        return self._server.endpoint

    def add(self, stack: Stack) -> Stack:
        self.stacks[stack.stack_id] = stack
        return stack

    def reset(self) -> None:
        self._release.set()  # let a stalled answer go
        self._release = threading.Event()
        self.stacks.clear()
        self.stall_seconds = 0.0
        self.requests = 0

    def __enter__(self) -> StatusServer:
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._release.set()
        self._server.stop()

    def _stack(self, name: str) -> Stack | None:
        return self.stacks.get(name) or next(
            (s for s in self.stacks.values() if s.name == name), None
        )

    def _not_found(self, what: str) -> tuple[int, bytes]:
        error = (
            "<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code>"
            f"<Message>{escape(what)} does not exist</Message></Error>"
            "<RequestId>standin</RequestId></ErrorResponse>"
        )
        return 400, error.encode()

    def _describe_resource(self, name: str, logical_id: str) -> tuple[int, bytes]:
        stack = self._stack(name)
        if stack is None or stack.resource is None or logical_id != stack.logical_id:
            return self._not_found(f"Resource {logical_id} in stack {name}")
        detail = (
            f"<StackName>{escape(stack.name)}</StackName><StackId>{escape(stack.stack_id)}</StackId>"
            f"<LogicalResourceId>{escape(logical_id)}</LogicalResourceId>"
            f"<PhysicalResourceId>{escape(stack.resource.physical_id)}</PhysicalResourceId>"
            "<ResourceType>Custom::ImageResolver</ResourceType>"
            "<LastUpdatedTimestamp>2026-11-26T08:15:00Z</LastUpdatedTimestamp>"
            "<ResourceStatus>UPDATE_COMPLETE</ResourceStatus>"
        )
        body = (
            '<DescribeStackResourceResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">'
            f"<DescribeStackResourceResult><StackResourceDetail>{detail}</StackResourceDetail>"
            "</DescribeStackResourceResult>"
            "<ResponseMetadata><RequestId>standin</RequestId></ResponseMetadata>"
            "</DescribeStackResourceResponse>"
        )
        return 200, body.encode()

    def _list_stacks(self) -> tuple[int, bytes]:
        members = "".join(
            f"<member><StackId>{escape(stack.stack_id)}</StackId>"
            f"<StackName>{escape(stack.name)}</StackName>"
            "<CreationTime>2026-11-26T08:15:00Z</CreationTime>"
            f"<StackStatus>{stack.status}</StackStatus></member>"
            for stack in self.stacks.values()
        )
        return 200, _query_answer("ListStacks", f"<StackSummaries>{members}</StackSummaries>")

    def _list_resources(self, name: str) -> tuple[int, bytes]:
        stack = self._stack(name)
        if stack is None or stack.status == "DELETE_COMPLETE":
            return self._not_found(f"Stack with id {name}")
        members = ""
        if stack.resource is not None:
            members = (
                f"<member><LogicalResourceId>{escape(stack.logical_id)}</LogicalResourceId>"
                f"<PhysicalResourceId>{escape(stack.resource.physical_id)}</PhysicalResourceId>"
                "<ResourceType>Custom::ImageResolver</ResourceType>"
                "<LastUpdatedTimestamp>2026-11-26T08:15:00Z</LastUpdatedTimestamp>"
                "<ResourceStatus>UPDATE_COMPLETE</ResourceStatus></member>"
            )
        return 200, _query_answer(
            "ListStackResources", f"<StackResourceSummaries>{members}</StackResourceSummaries>"
        )

    def _describe(self, name: str) -> tuple[int, bytes]:
        stack = self._stack(name)
        if stack is None:
            return self._not_found(f"Stack with id {name}")
        member = (
            f"<member><StackName>{escape(stack.name)}</StackName>"
            f"<StackId>{escape(stack.stack_id)}</StackId>"
            "<CreationTime>2026-11-26T08:15:00Z</CreationTime>"
            f"<StackStatus>{stack.status}</StackStatus></member>"
        )
        body = (
            '<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">'
            f"<DescribeStacksResult><Stacks>{member}</Stacks></DescribeStacksResult>"
            "<ResponseMetadata><RequestId>standin</RequestId></ResponseMetadata>"
            "</DescribeStacksResponse>"
        )
        return 200, body.encode()


def _query_answer(action: str, result: str) -> bytes:
    """A CloudFormation query-protocol answer to ``action`` holding ``result``."""
    return (
        f'<{action}Response xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">'
        f"<{action}Result>{result}</{action}Result>"
        f"<ResponseMetadata><RequestId>standin</RequestId></ResponseMetadata></{action}Response>"
    ).encode()
