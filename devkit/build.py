"""``make build``: ``sam build`` into ``.aws-sam/``, where ``sam deploy`` looks, saying what
``sam build`` keeps to itself.

``sam build`` runs ``src/Makefile`` and shows none of what it prints on stderr, so the
Makefile's note that the package ships without bytecode (no ``python3.13`` here, so slower cold
starts) never reached anyone. This runs the build with the runtime's Python found the way the
tests find it (a pyenv shim included), then looks at what was built and says so.

Runs on the SAM CLI's own virtualenv (standard library only): a deploy needs no ``.venv``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from .sam import ROOT, RUNTIME, ToolMissingError, find_tool, runtime_env

BUILT_FUNCTION = ROOT / ".aws-sam" / "build" / "ResolverFunction"
NO_BYTECODE = (
    f"note: no python{RUNTIME} (the function's runtime) here: the package ships without "
    "bytecode, so every cold start compiles it. Put Python "
    f"{RUNTIME} on PATH, then rm -rf .aws-sam && make build."
)


def ships_bytecode(function_dir: Path) -> bool:
    return any((function_dir / "resolver").rglob("*.pyc"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config-env", default="", help="samconfig.toml environment")
    config_env = parser.parse_args(argv).config_env
    try:
        sam = find_tool("sam")
    except ToolMissingError as exc:
        print(f"make build: {exc}", file=sys.stderr)
        return 2
    command = [sam, "build", *(["--config-env", config_env] if config_env else [])]
    print(f"make build: {' '.join(['sam', *command[1:]])} (src/Makefile packages the function)")
    sys.stdout.flush()
    built = subprocess.run(command, cwd=ROOT, env=runtime_env(), check=False)
    if built.returncode != 0:
        return built.returncode
    if not ships_bytecode(BUILT_FUNCTION):
        print(NO_BYTECODE, file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
