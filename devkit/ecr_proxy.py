"""An HTTP proxy in front of the ECR emulator that adds latency and scripted AWS errors.

It makes the local emulator behave like a distant, sometimes unwilling ECR: ``latency_seconds``
on every call (the benchmark's 50 ms round trip), and per-operation faults such as
ThrottlingException or AccessDeniedException served before the request reaches the emulator, so
botocore's real retry logic runs against them over real HTTP. It counts calls per operation.

STS goes through it too (``AWS_ENDPOINT_URL_STS``): its query protocol names the operation in
the form body (``Action=AssumeRole``) and its errors are XML, which the proxy answers in kind.
moto does not evaluate trust policies, so a refused AssumeRole is such a fault, aimed at one role
by ``Fault.when`` (text of the request body, e.g. the role's name).

With ``cloudformation``, CloudFormation's requests (query protocol, API version 2010-05-15) go
there instead — the stand-in of ``devkit.cloudformation`` — so one endpoint serves ECR, STS and
CloudFormation, as ``--endpoint-url`` expects (``make emulator``).
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections import Counter, defaultdict, deque
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

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
    when: str = ""  # served only to a request whose (decoded) body contains this

    def answer(self, *, query: bool) -> tuple[bytes, str]:
        """The body and content type: JSON for ECR, an XML error for a query-protocol service."""
        if not query:
            answer = self.body or {"__type": self.code, "message": self.message}
            return json.dumps(answer).encode(), "application/x-amz-json-1.1"
        error = (
            "<ErrorResponse><Error><Type>Sender</Type>"
            f"<Code>{escape(self.code)}</Code><Message>{escape(self.message)}</Message>"
            "</Error><RequestId>proxy</RequestId></ErrorResponse>"
        )
        return error.encode(), "text/xml"


class EcrProxy:
    def __init__(
        self,
        upstream: str,
        *,
        latency_seconds: float = 0.0,
        cloudformation: str | None = None,
        port: int = 0,
    ) -> None:
        self.latency_seconds = latency_seconds
        self.calls: Counter[str] = Counter()
        self._faults: dict[str, deque[Fault]] = defaultdict(deque)
        self._lock = threading.Lock()
        upstream_netloc = urlsplit(upstream).netloc
        cloudformation_netloc = urlsplit(cloudformation).netloc if cloudformation else None
        outer = self

        class Handler(QuietHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes; with Nagle on, the body waits ~40 ms for
            # the client's delayed ACK, which would dwarf the latency being simulated.
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                target = self.headers.get("X-Amz-Target", "")
                form = {} if target else parse_qs(body.decode(errors="replace"))
                operation = target.rpartition(".")[2] or form.get("Action", ["?"])[0]
                fault = outer._record(operation, json.dumps(form) if form else body.decode())
                if outer.latency_seconds:
                    time.sleep(outer.latency_seconds)
                if fault is not None:
                    payload, content_type = fault.answer(query=not target)
                    self.reply(fault.status, payload, {"Content-Type": content_type})
                    return
                to_cloudformation = cloudformation_netloc and b"Version=2010-05-15" in body
                destination = cloudformation_netloc if to_cloudformation else upstream_netloc
                conn = http.client.HTTPConnection(destination or upstream_netloc, timeout=30)
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

        self._server = LoopbackServer(Handler, port=port)

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

    def _record(self, operation: str, body: str) -> Fault | None:
        with self._lock:
            self.calls[operation] += 1
            queue = self._faults[operation]
            fault = next((f for f in queue if f.when in body), None)
            if fault is not None:
                queue.remove(fault)
            return fault

    def __enter__(self) -> EcrProxy:
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop()
