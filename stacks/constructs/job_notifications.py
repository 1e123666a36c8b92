"""Tell the pipeline's users when one of its RFT jobs ends: an EventBridge rule to an encrypted SNS topic.

The job runs for hours after ``cdk deploy`` returns. Bedrock reports its state changes on the default
event bus with the status in ``detail.jobStatus`` (a rule on ``detail.status`` never matches). Only
this pipeline's jobs match: their names start with ``{project}-{env}-``. The topic's key is
customer-managed because EventBridge and CloudWatch alarms cannot publish to a topic encrypted
with the AWS-managed SNS key.
"""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import (
    aws_events as events,
    aws_events_targets as targets,
    aws_iam as iam,
    aws_kms as kms,
    aws_sns as sns,
    aws_sns_subscriptions as subscriptions,
)
from constructs import Construct

JOB_EVENT_SOURCE = "aws.bedrock"
JOB_EVENT_DETAIL_TYPE = "Model Customization Job State Change"
# Terminal states only: the start is already reported by `cdk deploy` (JobArn output), and an e-mail
# per start would teach people to ignore the topic.
NOTIFIED_STATUSES = ("Completed", "Failed", "Stopped")
ALARM_SERVICE = "cloudwatch.amazonaws.com"


def job_name_prefix(project: str, environment: str) -> str:
    """The start of every job name this pipeline gives (``rft-dev-`` + hash). The trailing ``-`` keeps
    ``dev`` from matching ``dev2``; an environment named ``dev-x`` would still match ``dev``'s prefix."""
    return f"{project}-{environment}-"


class JobNotifications(Construct):
    """A KMS-encrypted, TLS-only topic with e-mail subscriptions, and the rule for this pipeline's jobs.

    ``deliver_to_topic``: the rule sends a readable summary straight to the topic. Turn it off when
    another target (the model-deployment handler) sends the notification itself, so nobody gets two.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        project: str,
        environment: str,
        emails: Sequence[str],
        deliver_to_topic: bool = True,
    ) -> None:
        super().__init__(scope, id_)
        self.key = kms.Key(
            self,
            "TopicKey",
            enable_key_rotation=True,
            pending_window=cdk.Duration.days(7),
            removal_policy=cdk.RemovalPolicy.DESTROY,  # encrypts only transient messages
            description=f"Encrypts the {project}-{environment} RFT notification topic",
        )
        # CloudWatch alarms publish as their service, so the key policy must let it encrypt. (In a key
        # policy "*" means this key.) EventBridge gets the same grant from CDK's SnsTopic rule target,
        # only when the rule publishes to the topic itself.
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarmsToPublishToTheTopic",
                principals=[iam.ServicePrincipal(ALARM_SERVICE)],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
            )
        )
        self.topic = sns.Topic(
            self,
            "Topic",
            master_key=self.key,
            enforce_ssl=True,
            display_name=f"RFT pipeline {project}-{environment}"[:100],
        )
        # The topic policy replaces SNS's default one, so alarms need an explicit allow (EventBridge
        # gets its own from the rule target); limited to this account's alarms.
        stack = cdk.Stack.of(self)
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowThisAccountsAlarmsToPublish",
                principals=[iam.ServicePrincipal(ALARM_SERVICE)],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {
                        "aws:SourceArn": stack.format_arn(
                            service="cloudwatch",
                            resource="alarm",
                            resource_name="*",
                            arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                        )
                    },
                },
            )
        )
        for email in emails:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))
        self.job_name_prefix = job_name_prefix(project, environment)
        self.rule = events.Rule(
            self,
            "JobStateRule",
            description=f"Bedrock RFT jobs of {project}-{environment} that ended",
            event_pattern=events.EventPattern(
                source=[JOB_EVENT_SOURCE],
                detail_type=[JOB_EVENT_DETAIL_TYPE],
                detail={"jobStatus": list(NOTIFIED_STATUSES), "jobName": events.Match.prefix(self.job_name_prefix)},
            ),
        )
        if deliver_to_topic:
            self.rule.add_target(targets.SnsTopic(self.topic, message=self.summary()))

    @staticmethod
    def summary() -> events.RuleTargetInput:
        field = events.EventField.from_path
        return events.RuleTargetInput.from_multiline_text(
            "\n".join(
                [
                    f"Bedrock reinforcement fine-tuning job {field('$.detail.jobName')} ended: "
                    f"{field('$.detail.jobStatus')}",
                    f"Failure message (Failed jobs only): {field('$.detail.failureMessage')}",
                    f"Output model ARN (Completed jobs only): {field('$.detail.outputModelArn')}",
                    f"Output model name: {field('$.detail.outputModelName')}",
                    f"Job ARN: {field('$.detail.jobArn')}",
                    f"Ended at: {field('$.detail.endTime')} (account {field('$.account')}, {field('$.region')})",
                ]
            )
        )
