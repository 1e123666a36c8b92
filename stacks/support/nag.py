"""Accepting a cdk-nag finding, next to the construct that causes it and with the reason why.

cdk-nag 3 runs as a policy-validation plugin and every unacknowledged finding fails synth.
Granular findings (IAM4, IAM5) must be acknowledged by their exact id, which embeds the
resource as cdk-nag renders it (``<Logical.Arn>``, ``<AWS::AccountId>``): ``nag_text``
reproduces that rendering so the ids are computed, never copied from a synth log.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import aws_cdk as cdk
from constructs import IConstruct

LATEST_PYTHON_RUNTIME_REASON = (
    "Python 3.13 on purpose: the bundled dependencies are compiled to bytecode by a local python3.13 (no "
    "Docker), and no 3.14 interpreter is available to the build; CPython 3.13 is maintained until October 2029."
)


def accept(construct: IConstruct, finding: str, reason: str) -> None:
    """Acknowledge one finding id (e.g. ``AwsSolutions-L1``) on a construct and its children."""
    cdk.Validations.of(construct).acknowledge(cdk.Acknowledgment(id=finding, reason=reason))


def accept_wildcard_resources(construct: IConstruct, resources: Iterable[Any], reason: str) -> None:
    stack = cdk.Stack.of(construct)
    for resource in resources:
        accept(construct, f"AwsSolutions-IAM5[Resource::{nag_text(stack, resource)}]", reason)


def accept_wildcard_actions(construct: IConstruct, actions: Iterable[str], reason: str) -> None:
    for action in actions:
        accept(construct, f"AwsSolutions-IAM5[Action::{action}]", reason)


def accept_managed_policy(construct: IConstruct, policy_name: str, reason: str) -> None:
    accept(construct, f"AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/{policy_name}]", reason)


def nag_text(stack: cdk.Stack, value: Any) -> str:
    """A token-bearing string as cdk-nag prints it in a finding id."""
    return _render(stack.resolve(value))


def _render(node: Any) -> str:
    if isinstance(node, str):
        return node
    if isinstance(node, dict) and len(node) == 1:
        ((function, argument),) = node.items()
        if function == "Ref":
            return f"<{argument}>"
        if function == "Fn::GetAtt":
            return f"<{argument[0]}.{argument[1]}>"
        if function == "Fn::Join":
            separator, parts = argument
            return separator.join(_render(part) for part in parts)
        if function == "Fn::Sub":
            return re.sub(r"\$\{([^}]+)\}", r"<\1>", argument if isinstance(argument, str) else argument[0])
    raise ValueError(f"cannot render {node!r} as cdk-nag does")


def accept_generated_wildcards(construct: IConstruct, owner: str) -> None:
    """Acknowledge the wildcard grants in IAM policies that a CDK L3 construct (not us) generated.

    Used only for constructs whose roles and grants CDK writes (``owner``, e.g. CDK Pipelines). Each
    wildcard action and resource of their policies is acknowledged on its policy, with a reason
    naming what the grant is for.
    """
    stack = cdk.Stack.of(construct)
    for child in construct.node.find_all():
        if not isinstance(child, cdk.aws_iam.CfnPolicy):
            continue
        for statement in stack.resolve(child.policy_document).get("Statement", []):
            actions = _as_list(statement.get("Action", []))
            for action in (a for a in actions if "*" in a):
                accept(child, f"AwsSolutions-IAM5[Action::{action}]", f"{owner}: {_grant_purpose(action)}")
            for resource in (_render(r) for r in _as_list(statement.get("Resource", []))):
                if "*" in resource:
                    accept(
                        child,
                        f"AwsSolutions-IAM5[Resource::{resource}]",
                        f"{owner}: {_grant_purpose(resource, actions)}",
                    )


def _grant_purpose(wildcard: str, actions: list[str] | None = None) -> str:
    if wildcard.startswith("kms:"):
        return "use of the pipeline's own artifact key, the only key in the statement"
    if wildcard.startswith("s3:") or "ArtifactsBucket" in wildcard:
        return "reads and writes of build artifacts in the pipeline's own artifact bucket"
    if ":report-group/" in wildcard:
        return "CodeBuild test-report groups of this one build project, named by CodeBuild at run time"
    if ":log-group:/aws/codebuild/" in wildcard:
        return "log groups CodeBuild creates for the pipeline's build projects"
    if ":iam::" in wildcard and wildcard.endswith(":role/*"):
        return (
            "sts:AssumeRole only on roles tagged aws-cdk:bootstrap-role (condition in the statement): the CDK "
            "bootstrap roles that publish assets and deploy in the pipeline account"
        )
    if wildcard == "*" and actions:
        return (
            f"{', '.join(sorted(actions))}: read-only or build-control calls on resources (stacks, "
            "buckets, builds) that exist only once the pipeline runs"
        )
    raise ValueError(f"no reviewed reason for the generated grant {wildcard!r}; review it before accepting it")


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]
