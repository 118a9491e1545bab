"""What a newcomer's first commands cost: a fresh clone of this checkout's HEAD, the first
``make demo``, then ``make test`` — wall time, and the disk each set-up takes.

pip's cache is off unless ``--warm-cache``: a new machine has none. The figures in the README's
"Local runs" come from this, with the date and machine they were measured on.

    python3 -m devkit.bench_setup [--python python3.12] [--test] [--keep]

Standard library only: it runs before any virtualenv exists.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024
FOLDERS = (".venv", ".venv-sam", "cdk/node_modules", "devkit/mermaid/node_modules")


@dataclass(frozen=True)
class Step:
    command: str
    seconds: float
    returncode: int


def disk_mib(folder: Path) -> int:
    """Space on disk, as ``du`` counts it (allocated blocks, each file once)."""
    total, seen = 0, set()
    for directory, _, files in os.walk(folder):
        for name in files:
            stat = Path(directory, name).lstat()
            if (stat.st_dev, stat.st_ino) not in seen:
                seen.add((stat.st_dev, stat.st_ino))
                total += stat.st_blocks * 512
    return round(total / MIB)


def timed(command: list[str], *, cwd: Path, env: dict[str, str], log: Path) -> Step:
    started = time.monotonic()
    with log.open("a") as out:
        done = subprocess.run(command, cwd=cwd, env=env, stdout=out, stderr=out, check=False)
    return Step(" ".join(command), time.monotonic() - started, done.returncode)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default="python3", help="PYTHON for make (default python3)")
    parser.add_argument("--test", action="store_true", help="also run make test in the clone")
    parser.add_argument("--warm-cache", action="store_true", help="let pip use its cache")
    parser.add_argument("--keep", action="store_true", help="keep the clone (its path is printed)")
    args = parser.parse_args(argv)
    env = dict(os.environ)
    if not args.warm_cache:
        env["PIP_NO_CACHE_DIR"] = "1"
    clone = Path(tempfile.mkdtemp(prefix="resolver-setup-")) / "clone"
    log = clone.parent / "make.log"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    targets = ["demo", "test"] if args.test else ["demo"]
    rows = []
    for target in targets:
        step = timed(["make", target, f"PYTHON={args.python}"], cwd=clone, env=env, log=log)
        rows.append((step, [disk_mib(clone / folder) for folder in FOLDERS]))
        if step.returncode != 0:
            break
    version = subprocess.run(
        [str(clone / ".venv" / "bin" / "python"), "--version"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    print(f"{version or args.python}, pip cache {'warm' if args.warm_cache else 'off'}, log {log}")
    print("| Command | Exit | Wall time | " + " | ".join(FOLDERS) + " |")
    print("|---|---|---|" + "---|" * len(FOLDERS))
    for step, sizes in rows:
        shown = " | ".join(f"{size} MiB" if size else "-" for size in sizes)
        print(f"| `{step.command}` | {step.returncode} | {step.seconds:.0f} s | {shown} |")
    if any(step.returncode for step, _ in rows):
        print("".join(log.read_text().splitlines(keepends=True)[-30:]), file=sys.stderr)
    if args.keep:
        print(f"kept: {clone}")
    else:
        shutil.rmtree(clone.parent)
    return max(step.returncode for step, _ in rows)


if __name__ == "__main__":
    sys.exit(main())
