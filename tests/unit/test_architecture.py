"""The ECR engine and the core know nothing of CloudFormation, crhelper or Powertools."""

from __future__ import annotations

import subprocess
import sys

CORE = [
    "resolver.spec",
    "resolver.references",
    "resolver.ecr_query",
    "resolver.ecr_clients",
    "resolver.resolve",
]


def test_core_imports_neither_crhelper_nor_powertools() -> None:
    code = (
        "import sys\n"
        f"for name in {CORE!r}: __import__(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('crhelper', 'aws_lambda_powertools'))\n"
        "bad += sorted(m for m in sys.modules if m.startswith('resolver.') and m.split('.')[1].startswith('cfn'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_importing_the_handler_creates_no_client() -> None:
    code = (
        "import boto3, botocore.session\n"
        "made = []\n"
        "original = botocore.session.Session.create_client\n"
        "def spy(self, *a, **k):\n"
        "    made.append(a[0] if a else k.get('service_name'))\n"
        "    return original(self, *a, **k)\n"
        "botocore.session.Session.create_client = spy\n"
        "import resolver.app\n"
        "print(made)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
