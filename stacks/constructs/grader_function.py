"""One reward-function (grader) Lambda with its own least-privilege role and log group."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam, aws_lambda as lambda_
from constructs import Construct

from ..support.lambda_support import role_with_own_logs
from ..support.local_bundling import LAMBDA_RUNTIME
from ..support.nag import LATEST_PYTHON_RUNTIME_REASON, accept, accept_wildcard_resources
from .isolated_grader_network import ENI_WILDCARD_REASON, IsolatedNetwork

GRADER_TAG = "rft:grader"
# Cross-region inference profile prefix -> the regions its requests may be routed to.
PROFILE_DESTINATION_REGIONS = {
    "us": ("us-east-1", "us-east-2", "us-west-2"),
    "eu": ("eu-central-1", "eu-north-1", "eu-west-1", "eu-west-3"),
    "apac": ("ap-northeast-1", "ap-south-1", "ap-southeast-1", "ap-southeast-2"),
}


def judge_model_arns(model_id: str, *, region: str, account: str, partition: str = "aws") -> list[str]:
    """The exact ARNs ``bedrock:InvokeModel`` must allow for a judge model or inference profile."""
    if model_id.startswith("arn:"):
        resource = model_id.split(":", 5)[5]  # foundation-model/<id> or inference-profile/<id>
        kind, _, identifier = resource.partition("/")
        if kind == "foundation-model":
            return [model_id]
        # A profile ARN also needs the foundation models it routes to, as the profile id does.
        return [model_id, *judge_model_arns(identifier, region=region, account=account, partition=partition)[1:]]
    prefix, _, base_model = model_id.partition(".")
    if prefix in PROFILE_DESTINATION_REGIONS:
        profile = f"arn:{partition}:bedrock:{region}:{account}:inference-profile/{model_id}"
        return [profile] + [
            f"arn:{partition}:bedrock:{r}::foundation-model/{base_model}" for r in PROFILE_DESTINATION_REGIONS[prefix]
        ]
    if prefix == "global":
        return [
            f"arn:{partition}:bedrock:{region}:{account}:inference-profile/{model_id}",
            f"arn:{partition}:bedrock:{region}::foundation-model/{base_model}",
            f"arn:{partition}:bedrock:::foundation-model/{base_model}",
        ]
    return [f"arn:{partition}:bedrock:{region}::foundation-model/{model_id}"]


class GraderFunction(Construct):
    """A Python grader Lambda tagged ``rft:grader=<kind>``, running code from the shared grader asset."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        kind: str,
        function_name: str,
        code: lambda_.Code,
        handler: str,
        memory_mb: int,
        timeout: cdk.Duration,
        environment: Mapping[str, str] | None = None,
        network: IsolatedNetwork | None = None,
    ) -> None:
        super().__init__(scope, id_)
        self.role, self.log_group = role_with_own_logs(
            self, "", description=f"Runs the {kind} RFT grader: writes its own logs, nothing else"
        )
        placement: dict[str, Any] = {}
        if network is not None:  # untrusted code runs here: no route out, Lambda alone manages the interfaces
            network.allow_lambda_attachment(self.role)
            accept_wildcard_resources(self.role, ["*"], ENI_WILDCARD_REASON)
            placement = {
                "vpc": network.vpc,
                "vpc_subnets": network.subnets,
                "security_groups": [network.security_group],
            }
        self.function = lambda_.Function(
            self,
            "Function",
            function_name=function_name,
            runtime=LAMBDA_RUNTIME,
            code=code,
            handler=handler,
            architecture=lambda_.Architecture.X86_64,
            memory_size=memory_mb,
            timeout=timeout,
            role=self.role,
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            description=f"Bedrock RFT reward function ({kind})",
            # No POWERTOOLS_SERVICE_NAME / _METRICS_NAMESPACE: the handler kit passes both (graders.service_name,
            # graders.METRICS_NAMESPACE), and Powertools prefers an explicit choice over the environment.
            environment=dict(environment or {}),
            **placement,
        )
        cdk.Tags.of(self.function).add(GRADER_TAG, kind)
        accept(self.function, "AwsSolutions-L1", LATEST_PYTHON_RUNTIME_REASON)

    def allow_judge_model(self, model_id: str) -> None:
        stack = cdk.Stack.of(self)
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["bedrock:InvokeModel"],
                resources=judge_model_arns(
                    model_id, region=stack.region, account=stack.account, partition=stack.partition
                ),
            )
        )
