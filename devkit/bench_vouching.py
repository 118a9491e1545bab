"""``make bench``, part 5: what the gates that vouch for a digest cost, counted on the wire.

40 images in 4 repositories behind the 50 ms proxy, resolved with each feature alone and with
none: the ECR calls by operation as the proxy counts them, and the wall time. A feature not asked
for must make none of its calls (PASS/MISS); one asked for makes its calls per image concurrently,
so its wall time stays near one round trip rather than one per image.
"""

from __future__ import annotations

import logging
import statistics
import time
from collections import Counter
from collections.abc import Mapping
from typing import Any

from resolver.engine import resolve
from resolver.engine.ecr.referrers import NOTARY_SIGNATURE
from resolver.properties import parse_request
from resolver.references import Registry

from .bench import LATENCY_SECONDS, REPOSITORIES, RUNS, clients_for, seed
from .ecr_emulator import (
    ACCOUNT_ID,
    FAKE_CREDENTIALS,
    REGION,
    add_referrer,
    patched_environ,
    running_emulator,
    set_replication_status,
    set_signing_status,
)
from .ecr_proxy import EcrProxy

PROFILE = f"arn:aws:signer:{REGION}:{ACCOUNT_ID}:/signing-profiles/bench"
NEW_OPERATIONS = (
    "DescribeImageSigningStatus",
    "ListImageReferrers",
    "DescribeImageReplicationStatus",
    "DescribeRepositories",
)


def features(lock: str) -> dict[str, dict[str, Any]]:
    """The properties each row adds to the plain request."""
    return {
        "nothing asked (the plain lookup)": {},
        "RequireSignature: <profile>": {"RequireSignature": PROFILE},
        "RequireSignature: Notation": {"RequireSignature": "Notation"},
        "ExpectedDigests (the lock)": {"ExpectedDigests": lock},
        "WaitForReplication: true": {"WaitForReplication": "true"},
        "Attributes: [Uri, TagMutability]": {"Attributes": "Uri,TagMutability"},
    }


def vouching_bench() -> None:
    with (
        running_emulator() as ecr,
        EcrProxy(ecr.endpoint, latency_seconds=LATENCY_SECONDS) as proxy,
        patched_environ(FAKE_CREDENTIALS),
    ):
        images = seed(ecr.client())
        for (repository, _), digest in images.items():  # signed, replicated: nothing to wait for
            set_signing_status(repository, digest, PROFILE, "COMPLETE")
            add_referrer(repository, digest, NOTARY_SIGNATURE)
            set_replication_status(repository, digest, "us-west-2", "COMPLETE")
        names = {key: f"Image{i:02d}" for i, key in enumerate(images)}
        lock = ",".join(f"{names[key]}={digest}" for key, digest in images.items())
        base = {name: {"Repository": repo, "Tag": tag} for (repo, tag), name in names.items()}
        clients = clients_for(proxy.endpoint)
        # The unguarded-tag WARNING is the point of one row, not output for this report.
        logging.getLogger("resolver").setLevel(logging.ERROR)
        rows = {
            label: _measure(proxy, clients, {"Images": base, **extra})
            for label, extra in features(lock).items()
        }
    _print(rows, len(images))


def _measure(
    proxy: EcrProxy, clients: Any, properties: Mapping[str, Any]
) -> tuple[Counter[str], float]:
    request = parse_request(properties, default_registry=Registry(ACCOUNT_ID, REGION))
    resolve(request, clients=clients)  # warm-up, untimed
    seconds = []
    calls: Counter[str] = Counter()
    for _ in range(RUNS):
        before = Counter(proxy.calls)
        started = time.perf_counter()
        resolve(request, clients=clients)
        seconds.append(time.perf_counter() - started)
        calls = Counter(proxy.calls)
        calls.subtract(before)
    return +calls, statistics.median(seconds) * 1000


def _print(rows: Mapping[str, tuple[Counter[str], float]], count: int) -> None:
    print(
        f"\n5. What CI vouched for: {count} images in {len(REPOSITORIES)} repositories, "
        f"{LATENCY_SECONDS * 1000:.0f} ms per ECR call, median of {RUNS}"
    )
    print(f"   {'feature':<36} {'ECR calls on the wire (new ones)':<52} wall time")
    plain_calls, plain_ms = rows["nothing asked (the plain lookup)"]
    for label, (calls, ms) in rows.items():
        new = {op: calls[op] for op in NEW_OPERATIONS if calls[op]}
        shown = ", ".join(f"{op} {n}" for op, n in new.items()) or "none"
        extra = f"+{ms - plain_ms:.0f} ms" if new else ""
        print(f"   {label:<36} {shown:<52} {ms:6.0f} ms {extra}")
    silent = not any(plain_calls[op] for op in NEW_OPERATIONS)
    print(f"   nothing asked makes none of the new calls: {'PASS' if silent else 'MISS'}")
    _, signed_ms = rows["RequireSignature: <profile>"]
    serial = count * LATENCY_SECONDS * 1000
    print(
        f"   {count} signing-status calls, concurrently: +{signed_ms - plain_ms:.0f} ms "
        f"(one after another: {serial:.0f} ms or more)"
    )
