"""An HTTP proxy in front of the ECR emulator that adds latency and scripted AWS errors.

It makes the local emulator behave like a distant, sometimes unwilling ECR: ``latency_seconds``
on every call (the benchmark's 50 ms round trip), and per-operation faults such as
ThrottlingException or AccessDeniedException served before the request reaches the emulator, so
botocore's real retry logic runs against them over real HTTP. It counts calls per operation.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections import Counter, defaultdict, deque
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .loopback import LoopbackServer, QuietHandler

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "host", "content-length"}


@dataclass(frozen=True)
class Fault:
    """An AWS error answer, or with ``body`` a canned successful answer (e.g. a scan still
    IN_PROGRESS), served instead of forwarding the call."""

    code: str
    message: str = "injected by the test proxy"
    status: int = 400
    body: dict[str, Any] | None = None


class EcrProxy:
    def __init__(self, upstream: str, *, latency_seconds: float = 0.0) -> None:
        self.latency_seconds = latency_seconds
        self.calls: Counter[str] = Counter()
        self._faults: dict[str, deque[Fault]] = defaultdict(deque)
        self._lock = threading.Lock()
        upstream_netloc = urlsplit(upstream).netloc
        outer = self

        class Handler(QuietHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes; with Nagle on, the body waits ~40 ms for
            # the client's delayed ACK, which would dwarf the latency being simulated.
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                operation = self.headers.get("X-Amz-Target", "").rpartition(".")[2] or "?"
                fault = outer._record(operation)
                if outer.latency_seconds:
                    time.sleep(outer.latency_seconds)
                if fault is not None:
                    answer = fault.body or {"__type": fault.code, "message": fault.message}
                    payload = json.dumps(answer).encode()
                    self.reply(
                        fault.status, payload, {"Content-Type": "application/x-amz-json-1.1"}
                    )
                    return
                conn = http.client.HTTPConnection(upstream_netloc, timeout=30)
                try:
                    headers = {
                        k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP
                    }
                    conn.request("POST", self.path, body=body, headers=headers)
                    upstream = conn.getresponse()
                    data = upstream.read()
                    kept = {k: v for k, v in upstream.getheaders() if k.lower() not in _HOP_BY_HOP}
                    self.reply(upstream.status, data, kept)
                except OSError:  # the emulator went away (end of a test session)
                    self.reply(502)
                finally:
                    conn.close()

        self._server = LoopbackServer(Handler)

    @property
    def endpoint(self) -> str:
        return self._server.endpoint

    def fail_next(self, operation: str, *faults: Fault) -> None:
        """Serve these faults, in order, to the next calls of ``operation``."""
        with self._lock:
            self._faults[operation].extend(faults)

    def reset(self) -> None:
        """Forget counted calls, pending faults and latency."""
        with self._lock:
            self.calls.clear()
            self._faults.clear()
            self.latency_seconds = 0.0

    def _record(self, operation: str) -> Fault | None:
        with self._lock:
            self.calls[operation] += 1
            queue = self._faults[operation]
            return queue.popleft() if queue else None

    def __enter__(self) -> EcrProxy:
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop()
