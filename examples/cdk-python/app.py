"""The example as a CDK app: ``cdk synth --app "python3 app.py" -c imageVersion=3f9a1c2e``."""

import os

import aws_cdk as cdk
from cloudtak_stack import CloudTakStack

app = cdk.App()
CloudTakStack(
    app,
    "CloudTak",
    env=cdk.Environment(
        account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=os.environ.get("CDK_DEFAULT_REGION")
    ),
)
app.synth()
