"""Amazon ECR, one module per operation: the only code that speaks ECR's wire names.

Every read returns, per requested item, either its typed answer or an ``EcrFailure``; none of
them decides what a failure means for an image (``engine.policy`` does).
"""
