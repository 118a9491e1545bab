"""``resolver``: the planner CI runs before a deploy, and a local invoke of the custom resource.

A thin shell over the same core as the Lambda: ``cli`` parses options into typed values; ``plan``
evaluates the consumer template (``template``) or a spec file, resolves, and reports (``report``);
``invoke`` runs the custom resource's core on an event file. Only this package reads YAML.
"""
