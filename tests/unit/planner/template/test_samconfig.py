"""--parameter-overrides and samconfig files, as sam deploy reads them."""

from __future__ import annotations

from pathlib import Path

import pytest

from resolver.errors import TemplateError
from resolver.planner.template import (
    parse_overrides,
    read_samconfig,
)

from .conftest import write

# --- overrides and samconfig --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        (["Env=dev"], {"Env": "dev"}),
        (["Env=dev", "GitSha=3f9a1c2e"], {"Env": "dev", "GitSha": "3f9a1c2e"}),
        (["LocalImage=team/app:a b"], {"LocalImage": "team/app:a b"}),
        (["Url=https://x/?a=b"], {"Url": "https://x/?a=b"}),  # split at the first "=" only
        (["Empty="], {"Empty": ""}),
        (["ParameterKey=Env,ParameterValue=prod"], {"Env": "prod"}),
        (["ParameterKey=List,ParameterValue=a,b"], {"List": "a,b"}),
        (["Env=dev", "Env=prod"], {"Env": "prod"}),  # the later one wins
        ([], {}),
    ],
)
def test_parse_overrides(items: list[str], expected: dict[str, str]) -> None:
    assert parse_overrides(items) == expected


@pytest.mark.parametrize(
    "item", ["Env", "=dev", "my-param=x", "Env dev", "ParameterKey=my-key,ParameterValue=x"]
)
def test_parse_overrides_rejects_malformed_items(item: str) -> None:
    with pytest.raises(TemplateError, match=r"^--parameter-overrides: .* is not Name=value"):
        parse_overrides([item])


SAMCONFIG = """
version = 0.1

[default.global.parameters]
stack_name = "tak"
parameter_overrides = "Env=dev Shared=global"

[default.deploy.parameters]
parameter_overrides = 'Env="prod" LocalImage="team/app:a b" ParameterKey=GitSha,ParameterValue=3f9a'

[dev.deploy.parameters]
parameter_overrides = ["Env=dev", "LocalImage='x y'", "A=1 B=2"]

[staging.global.parameters]
parameter_overrides = "Env=staging"

[bare.deploy.parameters]
capabilities = "CAPABILITY_IAM"
"""


@pytest.mark.parametrize(
    ("env", "command", "expected"),
    [
        # string form, shlex-quoted; the command's section replaces [global]'s whole value
        ("default", "deploy", {"Env": "prod", "LocalImage": "team/app:a b", "GitSha": "3f9a"}),
        ("default", "build", {"Env": "dev", "Shared": "global"}),  # only [global] has them
        ("dev", "deploy", {"Env": "dev", "LocalImage": "x y", "A": "1", "B": "2"}),  # list form
        ("staging", "deploy", {"Env": "staging"}),
        ("bare", "deploy", {}),
    ],
)  # fmt: skip
def test_read_samconfig_overrides(
    tmp_path: Path, env: str, command: str, expected: dict[str, str]
) -> None:
    path = write(tmp_path, SAMCONFIG, "samconfig.toml")
    assert read_samconfig(path, env=env, command=command).parameter_overrides == expected


def test_samconfig_yaml_is_read_too(tmp_path: Path) -> None:
    text = "version: 0.1\ndev:\n  deploy:\n    parameters:\n      parameter_overrides: Env=dev\n"
    path = write(tmp_path, text, "samconfig.yaml")
    assert read_samconfig(path, env="dev").parameter_overrides == {"Env": "dev"}


def test_the_project_samconfig_reads() -> None:
    path = Path(__file__).parents[4] / "samconfig.toml"
    assert read_samconfig(path, env="prod").parameter_overrides == {
        "LogLevel": "INFO",
        "LogRetentionDays": "90",
    }


@pytest.mark.parametrize(
    ("text", "env", "says"),
    [
        (SAMCONFIG, "prodd", "has no environment 'prodd' (it has: bare, default, dev, staging)"),
        ("[dev.deploy.parameters]\nparameter_overrides = 'Env=\"dev'\n", "dev", "cannot be split"),
        ("[dev.deploy.parameters]\nparameter_overrides = 'Env dev'\n", "dev", "is not Name=value"),
        ("[dev.deploy.parameters]\nparameter_overrides = 3\n", "dev", "must be a string or a list"),
        ("[dev.deploy\n", "dev", "cannot read the SAM config"),
    ],
)
def test_samconfig_errors(tmp_path: Path, text: str, env: str, says: str) -> None:
    path = write(tmp_path, text, "samconfig.toml")
    with pytest.raises(TemplateError) as caught:
        read_samconfig(path, env=env)
    assert str(caught.value).startswith(str(path))
    assert says in str(caught.value)


def test_samconfig_override_error_names_the_section(tmp_path: Path) -> None:
    path = write(tmp_path, "[dev.deploy.parameters]\nparameter_overrides = 'Env dev'\n", "s.toml")
    with pytest.raises(TemplateError, match=r"\[dev\.deploy\.parameters\] parameter_overrides"):
        read_samconfig(path, env="dev")


@pytest.mark.parametrize(
    ("env", "command", "expected"),
    [
        ("default", "deploy", "tak"),  # [default.global.parameters], as sam deploy reads it
        ("dev", "deploy", None),
    ],
)
def test_samconfig_gives_the_stack_name(
    tmp_path: Path, env: str, command: str, expected: str | None
) -> None:
    path = write(tmp_path, SAMCONFIG, "samconfig.toml")
    assert read_samconfig(path, env=env, command=command).stack_name == expected


def test_the_deploy_sections_stack_name_beats_the_global_one(tmp_path: Path) -> None:
    text = (
        '[prod.global.parameters]\nstack_name = "everywhere"\n'
        '[prod.deploy.parameters]\nstack_name = "tak-prod"\n'
    )
    path = write(tmp_path, text, "samconfig.toml")
    assert read_samconfig(path, env="prod").stack_name == "tak-prod"


@pytest.mark.parametrize("value", ['"tak prod"', '"1tak"', "3", '"' + "t" * 129 + '"'])
def test_a_samconfig_stack_name_cloudformation_would_refuse_is_named(
    tmp_path: Path, value: str
) -> None:
    path = write(tmp_path, f"[prod.deploy.parameters]\nstack_name = {value}\n", "s.toml")
    with pytest.raises(
        TemplateError, match=r"\[prod\.deploy\.parameters\] stack_name: .* is not a"
    ):
        read_samconfig(path, env="prod")
