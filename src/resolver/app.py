"""The Lambda entry point (``resolver.app.handler``).

Import cost matters here (it is cold start): nothing below creates an AWS client at import;
``EcrClients`` makes one per region on first use and keeps it for warm invocations.
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers

from .custom_resource import ImageResolverResource, Settings
from .ecr_clients import EcrClients

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "image-resolver"))
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "ImageResolver"))
# The package's own module loggers write through the same JSON formatter; the root logger is left
# alone.
copy_config_to_registered_loggers(source_logger=logger, include={"resolver"})

_clients = EcrClients()


def local_mode() -> bool:
    """``sam local invoke`` sets AWS_SAM_LOCAL; the demo and tests set IMAGE_RESOLVER_LOCAL."""
    flags = (os.environ.get("AWS_SAM_LOCAL", ""), os.environ.get("IMAGE_RESOLVER_LOCAL", ""))
    return any(flag.lower() in ("1", "true", "yes") for flag in flags)


@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> None:
    logger.append_keys(
        stack_id=event.get("StackId"),
        request_id=event.get("RequestId"),
        logical_resource_id=event.get("LogicalResourceId"),
        request_type=event.get("RequestType"),
    )
    # One metric on every request, so a Delete flushes something too.
    metrics.add_metric(name=f"{event.get('RequestType', 'Unknown')}Requests", unit="Count", value=1)
    try:
        resource = ImageResolverResource(
            clients=_clients, settings=Settings(local=local_mode()), metrics=metrics
        )
        resource(event, context)
    finally:
        logger.remove_keys(["stack_id", "request_id", "logical_resource_id", "request_type"])
