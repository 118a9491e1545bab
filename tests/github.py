"""GitHub's own reading of ``$GITHUB_OUTPUT``, for tests of what the planner writes there.

As the runner reads the file (actions/runner, ``FileCommandManager``): ``name=value`` lines, and
``name<<DELIMITER`` followed by the value's lines up to a line that is exactly ``DELIMITER``. A
name written twice keeps its later value — which is how a line break in a ``name=value`` value
could set another output.
"""

from __future__ import annotations


def read_outputs(text: str) -> dict[str, str]:
    outputs: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if not line:
            continue
        equals, heredoc = line.find("="), line.find("<<")
        if equals >= 0 and (heredoc < 0 or equals < heredoc):
            outputs[line[:equals]] = line[equals + 1 :]
            continue
        if heredoc < 0:
            raise ValueError(f"invalid output line {line!r}")
        name, delimiter = line[:heredoc], line[heredoc + 2 :]
        value: list[str] = []
        for inner in lines:
            if inner == delimiter:
                break
            value.append(inner)
        else:
            raise ValueError(f"no closing delimiter {delimiter!r} for {name}")
        outputs[name] = "\n".join(value)
    return outputs
