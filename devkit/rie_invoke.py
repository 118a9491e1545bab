"""``make invoke EVENT=events/create.json``: the built function, run as Lambda would run it.

1. ``sam build`` into a temporary folder.
2. Start the ECR emulator with the demo's images and a local response receiver.
3. Run the build under the Lambda Runtime Interface Emulator, POST the event (its ResponseURL
   pointed at the receiver), and print the response CloudFormation would have received.

Exit 0 on SUCCESS, 6 on FAILED (as ``resolver invoke``), 2 for a missing event or tool, 1 when the
build fails. ``make invoke`` turns 6 into 0: either answer is a run that worked.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from resolver.planner.exit_codes import ExitCode

from .ecr_emulator import running_emulator
from .events import EVENTS_DIR, load_event
from .receiver import ResponseReceiver
from .rie import invoke, running_function
from .sam import ToolMissingError, rie_binary, sam_build
from .seed import seed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("event", type=Path, nargs="?", default=EVENTS_DIR / "create.json")
    args = parser.parse_args(argv)
    if not args.event.is_file():  # before the build, not after it
        print(f"make invoke: no event file {args.event}; see events/", file=sys.stderr)
        return 2
    try:
        rie = rie_binary()
    except ToolMissingError as exc:
        print(f"make invoke: {exc}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="resolver-build-") as build:
        print("sam build ...", file=sys.stderr)
        built = sam_build(Path(build))
        if built.returncode != 0:
            print(built.stdout + built.stderr, file=sys.stderr)
            return 1
        with running_emulator() as ecr, ResponseReceiver() as receiver:
            seed(ecr.client())
            # The emulator's context says the function is in us-east-1, account 012345678912, so
            # bare repository names resolve there: give that region the images too.
            seed(ecr.client("us-east-1"))
            environment = {**ecr.environment(), "IMAGE_RESOLVER_LOCAL": "true"}
            function_dir = Path(build) / "ResolverFunction"
            with running_function(function_dir, rie=rie, environment=environment) as url:
                event = load_event(args.event.name, response_url=receiver.url())
                if args.event.parent.resolve() != EVENTS_DIR:
                    event = {**json.loads(args.event.read_text()), "ResponseURL": receiver.url()}
                invoke(url, event)
                body = receiver.take(timeout=10).body
    print(json.dumps(body, indent=2))
    if body["Status"] == "SUCCESS":
        return 0
    # An answer, not a crash: what a stack would show, with the code `resolver invoke` gives it.
    code = int(ExitCode.RESOURCE_FAILED)
    print(f"the custom resource answered FAILED (exit {code}): {body['Reason']}", file=sys.stderr)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
