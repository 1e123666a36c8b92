"""How the graders behave while a job runs: a CloudWatch dashboard, and alarms on errors and throttles.

Functions are referred to by name (they live in the graders stack). Reward and token metrics are
the graders' own EMF metrics (``lambda/graders/handler_kit.py``): the namespace, metric names and
exact dimension set come from the ``graders`` package itself (``graders.metric_dimensions``), since a
metric queried with any other dimension set shows nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch, aws_cloudwatch_actions as actions, aws_sns as sns
from constructs import Construct

from graders import (
    JUDGE_ERRORS_METRIC,
    JUDGE_INPUT_TOKENS_METRIC,
    JUDGE_NEUTRAL_SCORES_METRIC,
    JUDGE_OUTPUT_TOKENS_METRIC,
    METRICS_NAMESPACE,
    REWARD_METRIC,
    metric_dimensions,
)

GRADER_NAMESPACE = METRICS_NAMESPACE
ITEMS_GRADED_METRIC = "ItemsGraded"
ITEMS_TIMED_OUT_METRIC = "ItemsTimedOut"
TOKEN_METRICS = (JUDGE_INPUT_TOKENS_METRIC, JUDGE_OUTPUT_TOKENS_METRIC)
# Items per batch whose judge call failed, and whose judge score is a neutral stand-in (not a verdict).
JUDGE_OUTCOME_METRICS = ((JUDGE_ERRORS_METRIC, "judge errors"), (JUDGE_NEUTRAL_SCORES_METRIC, "neutral scores"))
REWARD_PERCENTILES = ("p10", "p50", "p90")
PERIOD = cdk.Duration.minutes(5)


def dashboard_url(region: str, name: str) -> str:
    return f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#dashboards/dashboard/{name}"


def _lambda_metric(function_name: str, metric: str, statistic: str, label: str) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace="AWS/Lambda",
        metric_name=metric,
        statistic=statistic,
        period=PERIOD,
        dimensions_map={"FunctionName": function_name},
        label=label,
    )


def _grader_metric(kind: str, metric: str, statistic: str, label: str) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace=GRADER_NAMESPACE,
        metric_name=metric,
        statistic=statistic,
        period=PERIOD,
        dimensions_map=metric_dimensions(kind),
        label=label,
    )


class MonitoringDashboard(Construct):
    """One row per grader (calls, duration, reward), the judge's tokens, and alarms to ``alarm_topic``."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        dashboard_name: str,
        grader_functions: Mapping[str, str],
        token_graders: Sequence[str],
        alarm_topic: sns.ITopic,
        job_grader: str,
    ) -> None:
        super().__init__(scope, id_)
        self.alarms: list[cloudwatch.Alarm] = []
        self.dashboard = cloudwatch.Dashboard(
            self, "Dashboard", dashboard_name=dashboard_name, default_interval=cdk.Duration.hours(12)
        )
        self.dashboard.add_widgets(
            cloudwatch.TextWidget(
                width=24,
                height=2,
                markdown=(
                    f"# RFT graders\nThe training job calls the **{job_grader}** grader; the others run only when "
                    "invoked directly or by the composite. Reward: the `aggregate_reward_score` of every graded item "
                    "(mean and percentiles per 5 minutes)."
                ),
            )
        )
        for kind, function_name in grader_functions.items():
            self.dashboard.add_widgets(*self._grader_row(kind, function_name))
            for metric, what in (("Errors", "failed invocations"), ("Throttles", "throttled invocations")):
                self.alarms.append(self._alarm(kind, function_name, metric, what, alarm_topic))
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Judge token usage (sum per 5 minutes)",
                width=8,
                height=6,
                left=[
                    _grader_metric(kind, metric, "Sum", f"{kind} {metric}")
                    for kind in token_graders
                    for metric in TOKEN_METRICS
                ],
            ),
            cloudwatch.GraphWidget(
                title="Judge errors and neutral scores (items per 5 minutes)",
                width=8,
                height=6,
                left=[
                    _grader_metric(kind, metric, "Sum", f"{kind} {label}")
                    for kind in token_graders
                    for metric, label in JUDGE_OUTCOME_METRICS
                ],
            ),
            cloudwatch.AlarmStatusWidget(title="Grader alarms", width=8, height=6, alarms=self.alarms),
        )

    @staticmethod
    def _grader_row(kind: str, function_name: str) -> list[cloudwatch.IWidget]:
        calls = cloudwatch.GraphWidget(
            title=f"{kind} grader: invocations, errors, throttles",
            width=8,
            height=6,
            left=[
                _lambda_metric(function_name, "Invocations", "Sum", "invocations"),
                _lambda_metric(function_name, "Errors", "Sum", "errors"),
                _lambda_metric(function_name, "Throttles", "Sum", "throttles"),
            ],
            right=[
                _grader_metric(kind, ITEMS_GRADED_METRIC, "Sum", "items graded"),
                _grader_metric(kind, ITEMS_TIMED_OUT_METRIC, "Sum", "items timed out"),
            ],
        )
        duration = cloudwatch.GraphWidget(
            title=f"{kind} grader: duration (ms)",
            width=8,
            height=6,
            left=[
                _lambda_metric(function_name, "Duration", "p50", "p50"),
                _lambda_metric(function_name, "Duration", "p99", "p99"),
            ],
        )
        reward = cloudwatch.GraphWidget(
            title=f"{kind} grader: reward",
            width=8,
            height=6,
            left_y_axis=cloudwatch.YAxisProps(min=0, max=1, show_units=False),
            left=[_grader_metric(kind, REWARD_METRIC, "Average", "mean")]
            + [_grader_metric(kind, REWARD_METRIC, p, p) for p in REWARD_PERCENTILES],
        )
        return [calls, duration, reward]

    def _alarm(self, kind: str, function_name: str, metric: str, what: str, topic: sns.ITopic) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self,
            f"{kind.capitalize()}{metric}Alarm",
            alarm_name=f"{function_name}-{metric.lower()}",
            alarm_description=(
                f"The {kind} grader ({function_name}) had {what}: a failed batch costs the "
                "RFT job its rewards. See the function's logs."
            ),
            metric=_lambda_metric(function_name, metric, "Sum", metric.lower()),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(actions.SnsAction(topic))
        return alarm
