"""A stand-in for CloudFormation's response bucket: accepts the PUT of a custom-resource response.

It listens on 127.0.0.1 only and records each body it receives, so tests and the demo see exactly
what CloudFormation would.
"""

from __future__ import annotations

import json
import queue
from dataclasses import dataclass
from typing import Any

from .loopback import LoopbackServer, QuietHandler


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    raw: bytes

    @property
    def body(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.raw)
        return parsed


class ResponseReceiver:
    def __init__(self, *, status: int = 200) -> None:
        self.status = status
        self.received: queue.Queue[Received] = queue.Queue()
        outer = self

        class Handler(QuietHandler):
            disable_nagle_algorithm = True  # answer at once, as S3 would

            def do_PUT(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                outer.received.put(Received(self.path, dict(self.headers.items()), raw))
                self.reply(outer.status)

        self._server = LoopbackServer(Handler)

    def __enter__(self) -> ResponseReceiver:
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop()

    def url(self, name: str = "response") -> str:
        # The query string mimics a pre-signed URL; the receiver must get it intact.
        return f"{self._server.endpoint}/{name}?X-Amz-Signature=fake"

    def take(self, timeout: float = 5.0) -> Received:
        return self.received.get(timeout=timeout)

    def count(self) -> int:
        return self.received.qsize()
