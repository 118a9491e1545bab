"""An AWS Organization on the local emulator: an OU of workload accounts that a StackSet
(deploy/stackset.yaml: service-managed permissions, automatic deployment) gives each its own
resolver, and the resolver of one account run in-process with that account's credentials.

moto's CloudFormation deploys the StackSet, with two corrections made here (the emulator's server
runs in this process), each where moto departs from CloudFormation:

- an ``Fn::If`` that gives ``AWS::NoValue`` inside a list (the role's optional policies) leaves a
  ``None`` in moto's list, where CloudFormation drops the item: moto's IAM role then fails;
- a service-managed stack instance is a hidden stack in moto, so its exports are not listed,
  where CloudFormation's stack instance is an ordinary stack of the target account, its exports
  that account's.

moto neither runs the function (its code is any zip) nor evaluates trust policies: what runs is the
resolver's own code, here, in each account's credentials.
"""

from __future__ import annotations

import io
import warnings
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import boto3

from resolver.cloudformation import app
from resolver.cloudformation.crhelper_adapter import CrhelperAdapter
from resolver.cloudformation.events import Malformed, parse_event
from resolver.cloudformation.handler import handle, timeout_answer
from resolver.cloudformation.services import Services
from resolver.cloudformation.stack_status import StackStatus
from resolver.engine.ecr.clients import EcrClients
from resolver.references import Registry

from .ecr_emulator import REGION, EcrEmulator

STACK_SET = "image-resolver"
CODE_KEY = "image-resolver/code.zip"
Handler = Callable[[dict[str, Any], Any], None]


@dataclass(frozen=True)
class Organisation:
    emulator: EcrEmulator
    id: str
    ou: str
    accounts: tuple[str, ...]

    @classmethod
    def create(cls, emulator: EcrEmulator, *, accounts: int) -> Organisation:
        """An organisation whose management account is moto's default, with one OU holding
        ``accounts`` new accounts."""
        org = emulator.client_of("organizations", "us-east-1")
        organisation = org.create_organization(FeatureSet="ALL")["Organization"]["Id"]
        root = org.list_roots()["Roots"][0]["Id"]
        ou = org.create_organizational_unit(ParentId=root, Name="workloads")
        ou_id = ou["OrganizationalUnit"]["Id"]
        created = []
        for number in range(accounts):
            status = org.create_account(Email=f"w{number}@example.com", AccountName=f"w{number}")
            account = status["CreateAccountStatus"]["AccountId"]
            org.move_account(AccountId=account, SourceParentId=root, DestinationParentId=ou_id)
            created.append(account)
        return cls(emulator, organisation, ou_id, tuple(created))

    def publish_code(self, bucket_prefix: str, regions: tuple[str, ...] = (REGION,)) -> None:
        """The function's zip in ``<bucket_prefix>-<region>`` for each region, as the README's
        release steps put it there (moto stores it; it never runs it)."""
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as zipped:
            zipped.writestr("resolver/__init__.py", "")
        s3 = self.emulator.client_of("s3")
        for region in regions:
            location = {} if region == "us-east-1" else {"LocationConstraint": region}
            bucket = f"{bucket_prefix}-{region}"
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration=location)
            s3.put_object(Bucket=bucket, Key=CODE_KEY, Body=archive.getvalue())

    def deploy_stackset(
        self,
        template: str,
        parameters: Mapping[str, str],
        *,
        regions: tuple[str, ...] = (REGION,),
    ) -> None:
        """CreateStackSet (service-managed, automatic deployment) and CreateStackInstances on
        the OU, from the management account, as an organisation's administrator runs them."""
        _correct_moto()
        cloudformation = self.emulator.client_of("cloudformation")
        with warnings.catch_warnings():
            # moto has no AWS::Lambda::EventInvokeConfig (the function's retries), and says so.
            warnings.filterwarnings("ignore", message=".*AWS::Lambda::EventInvokeConfig")
            self._create_stack_set(cloudformation, template, parameters, regions=regions)

    def _create_stack_set(
        self,
        cloudformation: Any,
        template: str,
        parameters: Mapping[str, str],
        *,
        regions: tuple[str, ...],
    ) -> None:
        cloudformation.create_stack_set(
            StackSetName=STACK_SET,
            TemplateBody=template,
            PermissionModel="SERVICE_MANAGED",
            AutoDeployment={"Enabled": True, "RetainStacksOnAccountRemoval": False},
            Capabilities=["CAPABILITY_IAM"],
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        )
        cloudformation.create_stack_instances(
            StackSetName=STACK_SET,
            DeploymentTargets={"OrganizationalUnitIds": [self.ou]},
            Regions=list(regions),
        )

    def exports(self, account: str, region: str = REGION) -> dict[str, str]:
        """ListExports in ``account``: what ``!ImportValue`` reads there."""
        client = self.emulator.client_of("cloudformation", region, account=account)
        return {e["Name"]: e["Value"] for e in client.list_exports()["Exports"]}

    def function(self, account: str, name: str, region: str = REGION) -> dict[str, Any]:
        """The function's configuration, as Lambda reports it in ``account``."""
        client = self.emulator.client_of("lambda", region, account=account)
        configuration: dict[str, Any] = client.get_function_configuration(FunctionName=name)
        return configuration

    def resolver_in(self, account: str, *, function_arn: str) -> Handler:
        """The deployed function of ``account``, run here: the Lambda entry's wiring, with that
        account's credentials and the environment the StackSet gave the function."""
        credentials = self.emulator.credentials_in(account)
        variables = self.function(account, function_arn)["Environment"]["Variables"]
        home = Registry.from_lambda_arn(function_arn)
        assert home is not None, function_arn
        session = boto3.Session(
            aws_access_key_id=credentials["aws_access_key_id"],
            aws_secret_access_key=credentials["aws_secret_access_key"],
            aws_session_token=credentials["aws_session_token"],
            region_name=home.region,
        )
        clients = EcrClients(session=session, caller=variables[app.ROLE_VARIABLE])
        services = Services(clients=clients, stacks=StackStatus(clients=clients))

        def invoke(event: dict[str, Any], context: Any) -> None:
            parsed = parse_event(event)
            assert not isinstance(parsed, Malformed), parsed.reason
            adapter = CrhelperAdapter(
                handle=partial(handle, services=services),
                send=partial(app.send, destinations=app.destinations(context)),
                on_timeout=timeout_answer,
            )
            adapter.run(parsed, context)

        return invoke


def _correct_moto() -> None:
    """The two corrections the module's docstring names, made once per process."""
    from moto.cloudformation import models  # moto is a dev dependency: imported when used
    from moto.iam.models import Role

    if getattr(Role, "_no_value_dropped", False):
        return
    create_role = Role.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def role_without_no_values(cls: type[Role], name: str, json: Any, *args: Any, **kw: Any) -> Any:
        properties = json.get("Properties", {})
        if "Policies" in properties:
            properties["Policies"] = [policy for policy in properties["Policies"] if policy]
        return create_role(cls, name, json, *args, **kw)

    Role.create_from_cloudformation_json = classmethod(role_without_no_values)  # type: ignore[assignment,method-assign]
    Role._no_value_dropped = True  # type: ignore[attr-defined]

    create_instance = models.StackInstance.__init__

    def instance_with_exports(self: Any, *args: Any, **kw: Any) -> None:
        create_instance(self, *args, **kw)
        backend = models.cloudformation_backends[self.account_id][self.region_name]
        for export in self.stack.exports:
            backend.exports[export.name] = export

    models.StackInstance.__init__ = instance_with_exports  # type: ignore[method-assign]
