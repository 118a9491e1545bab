"""``Custom::ImageResolver`` for the AWS CDK (Python): ``pip install "ecr-image-resolver[cdk]"``.

A package of its own, outside ``resolver``: the Lambda artifact never carries it, and the custom
resource's core never imports the CDK. It reuses the core's validation, so a bad property fails
``cdk synth`` with the same one-line message the deployed resource would give.
"""

from .image_resolver import Image, ImageResolver

__all__ = ["Image", "ImageResolver"]
