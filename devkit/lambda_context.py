"""A Lambda context object with a real clock, as the runtime passes to the handler."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

from .ecr_emulator import ACCOUNT_ID, REGION


@dataclass
class LambdaContext:
    timeout_seconds: float = 120.0
    function_name: str = "image-resolver"
    memory_limit_in_mb: int = 256
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "/aws/lambda/image-resolver"
    log_stream_name: str = "2026/11/26/[$LATEST]local"
    function_version: str = "$LATEST"
    started: float = field(default_factory=time.monotonic)
    function_arn: str = ""  # another account's function (the emulator's default account's)

    @property
    def invoked_function_arn(self) -> str:
        return (
            self.function_arn
            or f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{self.function_name}"
        )

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.started + self.timeout_seconds - time.monotonic()) * 1000))
