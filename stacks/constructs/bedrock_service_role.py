"""The role Bedrock assumes to run the RFT job: read training data, write results, call the grader."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam, aws_lambda as lambda_, aws_s3 as s3
from constructs import Construct

from ..support.nag import accept_wildcard_resources


class BedrockServiceRole(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        bucket: s3.IBucket,
        training_prefix: str,
        output_prefix: str,
        grader: lambda_.IFunction,
        data_key_alias: str | None = None,
        invocation_logs_bucket: str | None = None,
    ) -> None:
        super().__init__(scope, id_)
        stack = cdk.Stack.of(self)
        # Confused-deputy guard: only Bedrock jobs of this account and region may assume the role.
        principal = iam.ServicePrincipal(
            "bedrock.amazonaws.com",
            conditions={
                "StringEquals": {"aws:SourceAccount": stack.account},
                "ArnLike": {
                    "aws:SourceArn": stack.format_arn(
                        service="bedrock", resource="model-customization-job", resource_name="*"
                    )
                },
            },
        )
        self.role = iam.Role(
            self, "Role", assumed_by=principal, description="Assumed by Amazon Bedrock to run the RFT customization job"
        )
        statements = [
            iam.PolicyStatement(sid="ListDataBucket", actions=["s3:ListBucket"], resources=[bucket.bucket_arn]),
            iam.PolicyStatement(
                sid="ReadTrainingData",
                actions=["s3:GetObject"],
                resources=[bucket.arn_for_objects(f"{training_prefix}*")],
            ),
            iam.PolicyStatement(
                sid="WriteJobOutput",
                actions=["s3:GetObject", "s3:PutObject"],
                resources=[bucket.arn_for_objects(f"{output_prefix}*")],
            ),
            # A qualified grader ARN (version or alias) needs the ":*" form as well.
            iam.PolicyStatement(
                sid="InvokeGrader",
                actions=["lambda:InvokeFunction"],
                resources=[grader.function_arn, f"{grader.function_arn}:*"],
            ),
        ]
        keys_arn = stack.format_arn(service="kms", resource="key", resource_name="*")
        if data_key_alias:
            # By alias, not by key ARN: no cross-stack import pins the stateful data stack.
            statements.append(
                iam.PolicyStatement(
                    sid="UseDataKey",
                    actions=["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
                    resources=[keys_arn],
                    conditions={"ForAnyValue:StringEquals": {"kms:ResourceAliases": data_key_alias}},
                )
            )
        if invocation_logs_bucket:
            logs_bucket = s3.Bucket.from_bucket_name(self, "InvocationLogs", invocation_logs_bucket)
            statements += [
                iam.PolicyStatement(
                    sid="ListInvocationLogs", actions=["s3:ListBucket"], resources=[logs_bucket.bucket_arn]
                ),
                iam.PolicyStatement(
                    sid="ReadInvocationLogs", actions=["s3:GetObject"], resources=[logs_bucket.arn_for_objects("*")]
                ),
            ]
        self.policy = iam.Policy(self, "Policy", statements=statements)
        self.policy.attach_to_role(self.role)
        accept_wildcard_resources(
            self.policy,
            [bucket.arn_for_objects(f"{training_prefix}*")],
            "Bedrock reads every dataset object under the training prefix, names chosen by users",
        )
        accept_wildcard_resources(
            self.policy,
            [bucket.arn_for_objects(f"{output_prefix}*")],
            "Bedrock writes job results under the output prefix with keys it chooses",
        )
        accept_wildcard_resources(
            self.policy,
            [f"{grader.function_arn}:*"],
            "Qualified ARNs (version or alias) of the one grader function of this job",
        )
        if data_key_alias:
            accept_wildcard_resources(
                self.policy,
                [keys_arn],
                (
                    f"Only the key carrying the alias {data_key_alias} (kms:ResourceAliases condition): the data key "
                    "is named by alias so this stack imports nothing from the stateful data stack"
                ),
            )
        if invocation_logs_bucket:
            accept_wildcard_resources(
                self.policy,
                [logs_bucket.arn_for_objects("*")],
                "Bedrock reads model-invocation log objects, whose keys it discovers",
            )
