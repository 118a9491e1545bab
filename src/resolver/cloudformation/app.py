"""The Lambda entry point (``resolver.cloudformation.app.handler``).

Import cost is cold start. Nothing here creates an AWS client (``EcrClients`` makes one per region
on first use and keeps it for warm invocations), and the garbage collector stays out of the way
of the import (see below).
"""

from __future__ import annotations

import gc

# Importing boto3, Powertools and this package creates hundreds of thousands of objects that live
# as long as the environment; each collection the allocations trigger re-scans all of them
# (~25 ms of a cold start here, `make bench`). Collect nothing until they exist, then freeze them
# out of the collector's generations (gc.freeze, made for exactly this: long-lived start-up
# state), so the first ECR client's model parsing does not re-scan them either.
gc.disable()

import os
import time
from dataclasses import replace
from functools import partial
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers

from ..engine.ecr.clients import EcrClients
from .crhelper_adapter import CrhelperAdapter
from .delivery import Destinations, SendPolicy, deliver
from .events import CfnEvent, Malformed, parse_event
from .handler import handle, timeout_answer
from .physical_id import stable_id
from .response import CfnResponse, encode
from .services import Services
from .stack_status import StackStatus
from .trust import StackPolicy

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "image-resolver"))
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "ImageResolver"))
# The package's own module loggers write through the same JSON formatter; the root logger is left
# alone.
copy_config_to_registered_loggers(source_logger=logger, include={"resolver"})

# The function's own role, as template.yaml passes it: a refused AssumeRole names it as the
# principal the role's trust policy must allow (no STS call to find out).
ROLE_VARIABLE = "IMAGE_RESOLVER_ROLE_ARN"

_clients = EcrClients(caller=os.environ.get(ROLE_VARIABLE) or None)
_stack_status = StackStatus(clients=_clients)
_services = Services(
    clients=_clients, stacks=_stack_status, metrics=metrics, resources=_stack_status
)
_LOG_KEYS = ("stack_id", "request_id", "logical_resource_id", "request_type")


def destinations(context: Any) -> Destinations:
    """Where this invocation may answer: read per invocation, from the context and environment."""
    arn = getattr(context, "invoked_function_arn", "") or ""
    return Destinations.for_function(arn, os.environ)


def send(
    event: CfnEvent, response: CfnResponse, seconds: float, *, destinations: Destinations
) -> None:
    _send_to(event.reply_to.response_url, response, seconds, destinations=destinations)


def _send_to(
    url: str, response: CfnResponse, seconds: float, *, destinations: Destinations
) -> None:
    deliver(
        url,
        encode(response),
        destinations=destinations,
        policy=SendPolicy(),
        deadline=time.monotonic() + seconds,
    )


@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> None:
    parsed = parse_event(event)
    if isinstance(parsed, Malformed):
        _answer_malformed(parsed, context)
        return
    reply = parsed.reply_to
    logger.append_keys(
        stack_id=reply.stack_id,
        request_id=reply.request_id,
        logical_resource_id=reply.logical_resource_id,
        request_type=parsed.request_type.value,
    )
    # One metric on every request, so a Delete flushes something too.
    metrics.add_metric(name=f"{parsed.request_type.value}Requests", unit="Count", value=1)
    try:
        adapter = CrhelperAdapter(
            handle=partial(handle, services=_with_allowed_stacks(_services)),
            send=partial(send, destinations=destinations(context)),
            on_timeout=timeout_answer,
        )
        adapter.run(parsed, context)
    finally:
        logger.remove_keys(list(_LOG_KEYS))


def _with_allowed_stacks(services: Services) -> Services:
    """``services`` with the AllowedStackPrefixes template.yaml puts in the environment."""
    return replace(services, allowed_stacks=StackPolicy.from_environment())


def _answer_malformed(malformed: Malformed, context: Any) -> None:
    metrics.add_metric(name="MalformedRequests", unit="Count", value=1)
    logger.error("Not a CloudFormation custom-resource request", extra={"reason": malformed.reason})
    if malformed.reply_to is None:
        return  # no ResponseURL: there is nobody to answer
    reply = malformed.reply_to
    physical_id = stable_id(reply.stack_id, reply.logical_resource_id)
    response = CfnResponse.failed(reply, physical_id, malformed.reason)
    seconds = context.get_remaining_time_in_millis() / 1000 - 0.2
    _send_to(reply.response_url, response, max(0.5, seconds), destinations=destinations(context))


# The import is done (see the top of this module): freeze what it made, collect from now on.
gc.freeze()
gc.enable()
