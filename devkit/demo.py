"""``make demo``: the custom resource's whole life against a local ECR, no AWS account needed.

1. Start the ECR emulator (moto server on 127.0.0.1) and push the images CI would have pushed;
   ``pmtiles-3f9a1c2e`` is left missing.
2. Show the CI decision: ``resolver plan`` on the stack's properties, its table and exit code.
3. Send the handler a Create event, exactly as CloudFormation would, and receive its response
   over HTTP; then move the ``cloudtak-`` tag to a rebuilt image and send an Update; then the
   rollback CloudFormation would send if that stack update failed (it must return to exactly the
   Create's images, though the tag moved); then a Delete; finally show what a stack hears when an
   image is missing and ``OnMissing: Fail``.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .ecr_emulator import ACCOUNT_ID, REGION, patched_environ, running_emulator
from .events import load_event
from .lambda_context import LambdaContext
from .receiver import ResponseReceiver
from .seed import ARTIFACTS, move_cloudtak_tag, seed

_COLOUR = sys.stdout.isatty() and os.environ.get("NO_COLOR") is None


def _paint(text: str, code: str) -> str:
    return f"\033[{code}m{text}\033[0m" if _COLOUR else text


def _invoke(
    handler: Any, receiver: ResponseReceiver, title: str, event_file: str
) -> dict[str, Any]:
    event = load_event(event_file, response_url=receiver.url())
    started = time.perf_counter()
    handler(event, LambdaContext())
    body = receiver.take().body
    elapsed = (time.perf_counter() - started) * 1000
    status = body["Status"]
    colour = "32" if status == "SUCCESS" else "31"
    print(f"\n{_paint(title, '1')}  (events/{event_file})")
    print(
        f"  CloudFormation received {_paint(status, colour)} after {elapsed:.0f} ms, "
        f"PhysicalResourceId {body['PhysicalResourceId']}"
    )
    if body.get("Reason"):
        print(f"  Reason: {body['Reason']}")
    _print_images(body.get("Data") or {})
    return body


def _print_images(data: dict[str, str]) -> None:
    names = sorted({key.split(".", 1)[0] for key in data if "." in key})
    if not names:
        return
    print(f"  {'Image':<9} {'Status':<19} {'Build':<6} Uri")
    for name in names:
        build = data.get(f"{name}.BuildRequired", "")
        mark = _paint("yes", "33") if build == "true" else "no"
        source = data.get(f"{name}.Source")
        uri = data.get(f"{name}.Uri") or "-"
        if source == "fallback":
            uri = f"{uri}  (fallback)"
        print(f"  {name:<9} {data.get(f'{name}.Status', ''):<19} {mark:<6} {uri}")
        if data.get(f"{name}.Retention"):
            print(f"  {'':<9} Retention: {data[f'{name}.Retention']}")
    print(
        f"  BuildRequired={data['BuildRequired']}  MissingImages={data['MissingImages'] or '-'}  "
        f"Revision={data['Revision']}"
    )


_EXIT_MEANING = {
    0: "every image is in ECR: deploy with UsePreBuiltImages=true",
    3: "build needed: CI builds the missing images, or the stack deploys their Fallback",
}


def _plan(event_file: str) -> None:
    """The CI decision before the deploy: ``resolver plan`` on the resource's properties."""
    from resolver.planner.cli import main as resolver

    with tempfile.TemporaryDirectory(prefix="resolver-demo-") as folder:
        spec = Path(folder) / "spec.json"
        spec.write_text(json.dumps(load_event(event_file)["ResourceProperties"]))
        print(f"\n{_paint('0. CI decides before the deploy', '1')}  (events/{event_file})")
        print(f"$ resolver plan --spec {event_file}:ResourceProperties --account-id {ACCOUNT_ID}")
        sys.stdout.flush()
        code = resolver(["plan", "--spec", str(spec), "--account-id", ACCOUNT_ID])
    meaning = _EXIT_MEANING.get(code, "the plan failed: never deploy on it")
    print(f"exit {code}: {meaning}")


def _retention_of(digest: str) -> str:
    """The lifecycle verdict on one image, through the same core the function runs."""
    # Imported here, like the handler below: after the environment points at the emulator.
    from resolver.engine import resolve
    from resolver.engine.ecr.clients import EcrClients
    from resolver.properties import parse_request
    from resolver.references import Registry

    properties = {
        "Repository": ARTIFACTS,
        "OnMissing": "Report",
        "Attributes": ["Retention"],
        "Images": {"Before": {"Digest": digest}},
    }
    request = parse_request(properties, default_registry=Registry(ACCOUNT_ID, REGION))
    (image,) = resolve(request, clients=EcrClients()).images
    return image.retention.value if image.retention else "-"


def _deployed(data: dict[str, str]) -> dict[str, str]:
    return {key: value for key, value in data.items() if not key.endswith(".Retention")}


def main() -> int:
    with running_emulator() as ecr, ResponseReceiver() as receiver:
        quiet = {
            "IMAGE_RESOLVER_LOCAL": "true",
            "POWERTOOLS_LOG_LEVEL": "ERROR",
            "POWERTOOLS_METRICS_DISABLED": "true",
        }
        with patched_environ({**ecr.environment(), **quiet}):
            client = ecr.client()
            pushed = seed(client)
            print(f"Local ECR emulator at {ecr.endpoint}; pushed {len(pushed)} images:")
            for ref, digest in pushed.items():
                print(f"  {ref:<48} {digest[:19]}…")
            print("  (pmtiles-3f9a1c2e was not pushed: it needs a local build)")

            from resolver.cloudformation.app import (
                handler,  # after the environment points at the emulator
            )

            _plan("create-fallback.json")
            created = _invoke(handler, receiver, "1. Create", "create-fallback.json")
            new_digest = move_cloudtak_tag(ecr)
            print(f"\nCI re-pushed cloudtak-3f9a1c2e: the tag now points at {new_digest[:19]}…")
            before = created["Data"]["Api.Digest"]
            print(
                f"The image the stack ran until now ({before[:19]}…) stays in ECR, untagged:\n"
                f"  Retention: {_retention_of(before)}\n"
                "  (a rollback after that date would find it gone)"
            )
            updated = _invoke(handler, receiver, "2. Update (tag moved)", "update-tag-moved.json")
            rolled_back = _invoke(
                handler,
                receiver,
                "3. Rollback: the previous properties, sent to the Create's id",
                "update-rollback.json",
            )
            _invoke(handler, receiver, "4. Delete", "delete.json")
            _invoke(
                handler,
                receiver,
                "5. Create with a missing image and OnMissing: Fail",
                "create-missing.json",
            )

    moved = created["Data"]["Api.Uri"] != updated["Data"]["Api.Uri"]
    # What decides the deployment comes back exactly; Retention describes the image as it is now.
    exact = _deployed(rolled_back["Data"]) == _deployed(created["Data"])
    replaced = created["PhysicalResourceId"] != updated["PhysicalResourceId"]
    limited = created["Data"]["Api.Retention"].startswith("Limited: ")
    print(
        f"\nApi.Uri follows the moved tag: {'yes' if moved else 'NO'} "
        f"(Revision {created['Data']['Revision']} -> {updated['Data']['Revision']}; "
        f"a new PhysicalResourceId: {'yes' if replaced else 'NO'}, so a failed stack update "
        "returns to the old one by itself). "
        f"The rollback answered exactly the Create's images: {'yes' if exact else 'NO'}. "
        f"Api's retention is Limited by the lifecycle policy: {'yes' if limited else 'NO'}."
    )
    return 0 if moved and exact and replaced and limited else 1


if __name__ == "__main__":
    raise SystemExit(main())
