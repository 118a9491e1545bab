"""Run the *built* function (``sam build`` output) under the Lambda Runtime Interface Emulator.

The closest thing to ``sam local invoke`` without Docker: the emulator binary from the SAM CLI
package runs ``python -m awslambdaric resolver.cloudformation.app.handler`` from the build folder, the way the
Lambda service would, and takes invocations over HTTP on 127.0.0.1. boto3 comes from the running
Python, as it comes from the runtime in Lambda.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .ecr_emulator import FAKE_CREDENTIALS

INVOKE_PATH = "/2015-03-31/functions/function/invocations"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_function(
    function_dir: Path, *, rie: Path, environment: Mapping[str, str], timeout_seconds: int = 60
) -> Iterator[str]:
    """Start the emulator on the built function; yields the invocation URL."""
    port = _free_port()
    env = {
        "PATH": "/usr/bin:/bin",
        **FAKE_CREDENTIALS,
        "AWS_LAMBDA_FUNCTION_NAME": "image-resolver",
        "AWS_LAMBDA_FUNCTION_TIMEOUT": str(timeout_seconds),
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "POWERTOOLS_SERVICE_NAME": "image-resolver",
        "POWERTOOLS_METRICS_NAMESPACE": "ImageResolver",
        "PYTHONPATH": str(function_dir),
        **environment,
    }
    command = [
        str(rie),
        "--runtime-interface-emulator-address",
        f"127.0.0.1:{port}",
        "--log-level",
        "error",
        sys.executable,
        "-m",
        "awslambdaric",
        "resolver.cloudformation.app.handler",
    ]
    process = subprocess.Popen(command, cwd=function_dir, env=env)
    try:
        _wait_for_port(port)
        yield f"http://127.0.0.1:{port}{INVOKE_PATH}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_for_port(port: int, *, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"the runtime interface emulator did not listen on 127.0.0.1:{port}")


def invoke(url: str, event: Mapping[str, Any], *, timeout: float = 60.0) -> Any:
    """POST one event, as the Lambda service would; returns the handler's return value."""
    request = urllib.request.Request(url, data=json.dumps(event).encode(), method="POST")
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        return json.loads(answer.read() or b"null")
