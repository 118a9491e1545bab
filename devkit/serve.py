"""``make emulator``: a local ECR on 127.0.0.1:5000, seeded, running until Ctrl-C.

It holds the images the ``events/`` fixtures and the ``examples/`` expect (``devkit.seed``), in
their regions, so the README's local commands (``resolver invoke … --endpoint-url
http://127.0.0.1:5000``, ``resolver plan --template examples/…``) work as written, and prints what
another terminal needs to export. The same address answers CloudFormation with the stand-in of
``devkit.cloudformation``, holding one deployed stack, ``cloudtak-dev``, whose resolver resource
was created with ``Protect`` (``events/create-protected.json``): what ``resolver in-use`` lists.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import signal
import socket
import sys
import threading
from types import FrameType

from .cloudformation import Stack, StatusServer
from .ecr_emulator import FAKE_CREDENTIALS, REGION, patched_environ, running_emulator
from .ecr_proxy import EcrProxy
from .events import load_event
from .receiver import ResponseReceiver
from .seed import seed, seed_examples

DEFAULT_PORT = 5000


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    port = parser.parse_args(argv).port
    if port and not _port_free(port):
        print(
            f"make emulator: 127.0.0.1:{port} is in use (another emulator?). Stop it, or run "
            f"PORT={port + 1} make emulator and use http://127.0.0.1:{port + 1} in the commands.",
            file=sys.stderr,
        )
        return 2
    stopped = threading.Event()

    def stop(_signum: int, _frame: FrameType | None) -> None:
        stopped.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    with (
        running_emulator() as emulator,
        StatusServer() as cloudformation,
        EcrProxy(emulator.endpoint, cloudformation=cloudformation.endpoint, port=port) as front,
    ):
        pushed = [f"{REGION}/{ref}" for ref in seed(emulator.client())]
        # The Runtime Interface Emulator reports us-east-1: bare names resolve there (make invoke).
        pushed += [f"us-east-1/{ref}" for ref in seed(emulator.client("us-east-1"))]
        pushed += seed_examples(emulator.client)
        _deploy(front.endpoint, cloudformation)
        _announce(front.endpoint, pushed)
        stopped.wait()
    print("\nemulator stopped", file=sys.stderr)
    return 0


def _deploy(endpoint: str, cloudformation: StatusServer) -> None:
    """Create ``cloudtak-dev``'s resolver resource with ``Protect``, through the function's own
    handler: its images carry their protection tags, and the stand-in holds its id."""
    event = load_event("create-protected.json")
    environment = {
        **FAKE_CREDENTIALS,
        "AWS_ENDPOINT_URL_ECR": endpoint,
        "AWS_ENDPOINT_URL_CLOUDFORMATION": cloudformation.endpoint,
        "IMAGE_RESOLVER_LOCAL": "true",
    }
    # The handler logs and flushes metrics to stdout: that is not the emulator's announcement.
    with patched_environ(environment), contextlib.redirect_stdout(io.StringIO()):
        from resolver.cloudformation.app import handler

        with ResponseReceiver() as receiver:
            stack = Stack(handler=handler, receiver=receiver, name="cloudtak-dev")
            stack.stack_id = event["StackId"]
            cloudformation.add(stack)
            properties = {
                k: v for k, v in event["ResourceProperties"].items() if k != "ServiceToken"
            }
            if stack.create(properties) != "CREATE_COMPLETE":
                raise RuntimeError(f"the seeded stack was not created: {stack.calls[-1].answer}")


def export_line() -> str:
    """What another terminal exports to reach the emulator (the CLI quotes it without them)."""
    return "export " + " ".join(
        f"{name}={FAKE_CREDENTIALS[name]}"
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")
    )


def _announce(endpoint: str, pushed: list[str]) -> None:
    lines = [
        f"Local ECR emulator at {endpoint} with {len(pushed)} images "
        "(pmtiles-3f9a1c2e is missing on purpose):",
        *(f"  {image}" for image in pushed),
        "",
        "In another terminal (fake credentials: nothing here reaches AWS):",
        f"  {export_line()}",
        "  . .venv/bin/activate",
        f"  resolver invoke events/create.json --endpoint-url {endpoint}",
        f"  resolver in-use --endpoint-url {endpoint}      # what the stack cloudtak-dev pins",
        "",
        "Ctrl-C stops the emulator.",
    ]
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
