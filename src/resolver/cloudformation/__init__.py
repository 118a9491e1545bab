"""The CloudFormation custom resource: a Lambda event in, exactly one response out.

``app`` is the Lambda entry point (Powertools); ``events`` reads an event into a typed
``CfnEvent``; ``handler.handle`` is the pure core (event → engine → ``CfnResponse``);
``crhelper_adapter`` runs it under crhelper's dispatch and timeout guard; ``response``,
``attributes`` and ``delivery`` build, size and send what CloudFormation receives.
"""
