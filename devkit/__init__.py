"""Development kit: the local ECR emulator, a CloudFormation response receiver, a fault/latency
proxy and a Lambda context, shared by ``make demo``, the tests and ``make bench``.

Not part of the Lambda package (``CodeUri: src/``) and never imported by ``resolver``.
"""
