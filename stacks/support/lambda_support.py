"""Pieces every Lambda of this app shares: an own role writing only to an own log group, and a
custom-resource provider whose framework function gets the same treatment."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam, aws_lambda as lambda_, aws_logs as logs, custom_resources as cr
from constructs import Construct

from .nag import accept_wildcard_resources


def role_with_own_logs(scope: Construct, id_prefix: str, *, description: str) -> tuple[iam.Role, logs.LogGroup]:
    """A Lambda role that may write its own log group and nothing else (callers add the rest).

    No AWSLambdaBasicExecutionRole: that managed policy lets a function write any log group.
    """
    log_group = logs.LogGroup(
        scope, f"{id_prefix}Logs", retention=logs.RetentionDays.ONE_MONTH, removal_policy=cdk.RemovalPolicy.DESTROY
    )
    role = iam.Role(
        scope, f"{id_prefix}Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"), description=description
    )
    role.add_to_policy(
        iam.PolicyStatement(
            sid="WriteLogs", actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[log_group.log_group_arn]
        )
    )
    return role, log_group


def scoped_provider(scope: Construct, *, on_event_handler: lambda_.IFunction, purpose: str) -> cr.Provider:
    """CDK's custom-resource provider framework, with its own role and log group."""
    role, log_group = role_with_own_logs(
        scope, "Provider", description=f"CDK custom-resource provider framework for {purpose}"
    )
    provider = cr.Provider(
        scope, "Provider", on_event_handler=on_event_handler, log_group=log_group, framework_on_event_role=role
    )
    accept_wildcard_resources(
        role,
        [f"{on_event_handler.function_arn}:*"],
        "CDK's provider framework may invoke qualified versions of this one handler",
    )
    return provider


def grant_data_key(role: iam.IRole, nag_target: Construct, *, alias: str, actions: list[str], sid: str) -> None:
    """Use of the data bucket's customer-managed key, named by alias (``kms:ResourceAliases``) so this stack
    imports nothing from the stateful data stack. ``nag_target``: the construct holding the role's policy."""
    keys_arn = cdk.Stack.of(nag_target).format_arn(service="kms", resource="key", resource_name="*")
    role.add_to_principal_policy(
        iam.PolicyStatement(
            sid=sid,
            actions=actions,
            resources=[keys_arn],
            conditions={"ForAnyValue:StringEquals": {"kms:ResourceAliases": alias}},
        )
    )
    accept_wildcard_resources(
        nag_target,
        [keys_arn],
        (
            f"Only the key carrying the alias {alias} (kms:ResourceAliases condition): the data key is named by alias "
            "so this stack imports nothing from the stateful data stack"
        ),
    )
