"""``resolver invoke``: the custom resource's core on an event file, nothing sent anywhere.

It runs ``cloudformation.handler.handle`` in-process — the same core the Lambda runs — and
prints the response body CloudFormation would receive.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InvalidPropertyError
from ..values import frozen
from .aws import Aws, AwsOptions, waiting_notice
from .exit_codes import ExitCode


@frozen
class InvokeOptions:
    event: Path
    timeout_seconds: float = 120.0  # the Lambda timeout to emulate
    aws: AwsOptions = field(default_factory=AwsOptions)
    # The resolver stack's AllowedStackPrefixes, comma-separated, as the function's environment
    # carries them (None: read that environment variable here too, as the Lambda does).
    allowed_stack_prefixes: str | None = None


@dataclass
class _LocalContext:
    """The parts of a Lambda context the resolver reads, with a real clock."""

    timeout_seconds: float
    invoked_function_arn: str
    aws_request_id: str
    started: float

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.started + self.timeout_seconds - time.monotonic()) * 1000))


def run_invoke(options: InvokeOptions) -> ExitCode:
    # The Lambda's own modules; crhelper and Powertools are not needed to run the core.
    from ..cloudformation.events import Malformed, parse_event  # noqa: PLC0415
    from ..cloudformation.handler import handle  # noqa: PLC0415
    from ..cloudformation.response import Status, encode  # noqa: PLC0415
    from ..cloudformation.services import Services  # noqa: PLC0415
    from ..cloudformation.stack_status import StackStatus  # noqa: PLC0415
    from ..cloudformation.trust import ENVIRONMENT_VARIABLE, StackPolicy  # noqa: PLC0415

    try:
        raw = json.loads(options.event.read_text())
    except (OSError, ValueError) as exc:
        raise InvalidPropertyError(
            "EVENT",
            str(options.event),
            f"is not a readable JSON event ({exc})",
            "Use a file from events/.",
        ) from exc
    event = parse_event(raw)
    if isinstance(event, Malformed):
        raise InvalidPropertyError(
            "EVENT",
            str(options.event),
            f"is not usable: {event.reason}",
            "Use a file from events/ as a model.",
        )
    # The same policy the function applies, parsed the same way: an event from a stack outside
    # the prefixes fails here as it would there.
    given = options.allowed_stack_prefixes
    allowed_stacks = StackPolicy.from_environment(
        os.environ if given is None else {ENVIRONMENT_VARIABLE: given}
    )
    aws = Aws.start(options.aws)
    clients = aws.clients
    stacks = StackStatus(clients=clients)
    services = Services(
        clients=clients, stacks=stacks, allowed_stacks=allowed_stacks, resources=stacks
    )
    # The event's own ServiceToken names the function (and so the account and region).
    function_arn = event.service_token or f"arn:aws:lambda:{aws.region}:000000000000:function:local"
    context = _LocalContext(
        options.timeout_seconds,
        function_arn,
        aws_request_id=str(uuid.uuid4()),
        started=time.monotonic(),
    )
    with waiting_notice(f"ECR ({aws.where('ecr')})"):
        response = handle(event, context, services=services)
    print(json.dumps(json.loads(encode(response)), indent=2))
    return ExitCode.OK if response.status is Status.SUCCESS else ExitCode.RESOURCE_FAILED
