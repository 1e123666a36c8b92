"""Reward-health alarms: is the job's grader still giving a learning signal?

Built on the graders' EMF metrics (``graders.METRICS_NAMESPACE``, ``graders.metric_dimensions``) with
metric math, so each alarm looks only at windows in which the grader was invoked (``BatchSize`` > 0):

- ``MalformedShare``: Sum(ItemsMalformed) / Sum(BatchSize) over the window;
- ``NoConstraintsShare`` (format, composite): Sum(ItemsWithoutConstraints) / Sum(BatchSize), rows the
  format grader found no constraints on;
- ``JudgeErrorShare`` (graders that call the judge): Sum(JudgeErrors) / Sum(BatchSize), items whose
  judge call failed;
- ``NeutralScoreShare`` (graders that call the judge): Sum(JudgeNeutralScores) / Sum(BatchSize), items
  whose judge score is a neutral stand-in (the mean of the prompt's judged samples, else
  ``judge.errorScore``) rather than a verdict: rewards that carry no judgment;
- ``RewardStuckAtZero`` / ``RewardStuckAtOne``: Average(Reward) at the bound for every period of the window;
- ``RewardSpreadCollapsed``: p90(Reward) - p10(Reward) below a floor: every answer scored alike;
- ``DurationNearTimeout``: Lambda p99 Duration over a share of the grader's timeout.

The flag counts are emitted only when not 0 (``lambda/graders/handler_kit.py``), so the shares read
a missing count as 0 (``FILL``).
"""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch, aws_cloudwatch_actions as actions, aws_sns as sns
from constructs import Construct

from graders import (
    ITEMS_WITHOUT_CONSTRAINTS_METRIC,
    JUDGE_ERRORS_METRIC,
    JUDGE_NEUTRAL_SCORES_METRIC,
    METRICS_NAMESPACE,
    REWARD_METRIC,
    metric_dimensions,
)


@dataclass(frozen=True)
class RewardHealthThresholds:
    period_minutes: int = 15  # one evaluation period
    evaluation_periods: int = 2  # consecutive periods that must breach
    max_malformed_share: float = 0.05
    max_no_constraints_share: float = 0.05
    max_judge_error_share: float = 0.05
    max_neutral_score_share: float = 0.1
    stuck_margin: float = 0.01  # mean reward within this of 0 or 1 counts as stuck
    min_reward_spread: float = 0.05  # p90 - p10
    max_duration_share_of_timeout: float = 0.8


class RewardHealthAlarms(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        grader_kind: str,
        function_name: str,
        grader_timeout: cdk.Duration,
        topic: sns.ITopic,
        thresholds: RewardHealthThresholds = RewardHealthThresholds(),
        calls_judge: bool,
        checks_constraints: bool,
    ) -> None:
        """``calls_judge``: whether the grader calls the judge, ``checks_constraints``: whether it runs the format
        grader (both from the catalogue: a composite only with that component's weight > 0)."""
        super().__init__(scope, id_)
        t = thresholds
        period = cdk.Duration.minutes(t.period_minutes)
        self.alarms: list[cloudwatch.Alarm] = []

        def grader(metric: str, statistic: str) -> cloudwatch.Metric:
            return cloudwatch.Metric(
                namespace=METRICS_NAMESPACE,
                metric_name=metric,
                statistic=statistic,
                period=period,
                dimensions_map=metric_dimensions(grader_kind),
            )

        batch = grader("BatchSize", "Sum")

        def when_invoked(expression: str, label: str, **metrics: cloudwatch.IMetric) -> cloudwatch.MathExpression:
            # No invocations: no value, so the alarm treats the period as missing (not breaching).
            return cloudwatch.MathExpression(
                expression=f"IF(batch > 0, {expression})",
                label=label,
                using_metrics={"batch": batch, **metrics},
                period=period,
            )

        def alarm(name: str, metric: cloudwatch.IMetric, threshold: float, above: bool, what: str) -> None:
            created = cloudwatch.Alarm(
                self,
                name,
                alarm_name=f"{function_name}-{name[0].lower()}{name[1:]}",
                alarm_description=f"The {grader_kind} grader ({function_name}): {what}. See the README, "
                "'Reward-health alarms', for what to do.",
                metric=metric,
                threshold=threshold,
                evaluation_periods=t.evaluation_periods,
                comparison_operator=(
                    cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
                    if above
                    else cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD
                ),
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            created.add_alarm_action(actions.SnsAction(topic))
            self.alarms.append(created)

        self.malformed_share = when_invoked(
            "malformed / batch", "malformed share", malformed=grader("ItemsMalformed", "Sum")
        )
        alarm(
            "MalformedShare",
            self.malformed_share,
            t.max_malformed_share,
            True,
            f"more than {t.max_malformed_share:.0%} of graded items were malformed",
        )

        def flagged(metric: str, id_: str, label: str) -> cloudwatch.MathExpression:
            # Distinct ids: the shares share one graph.
            return when_invoked(f"FILL({id_}, 0) / batch", label, **{id_: grader(metric, "Sum")})

        self.no_constraints_share: cloudwatch.MathExpression | None = None
        self.judge_error_share: cloudwatch.MathExpression | None = None
        self.neutral_score_share: cloudwatch.MathExpression | None = None
        if checks_constraints:
            self.no_constraints_share = flagged(ITEMS_WITHOUT_CONSTRAINTS_METRIC, "nc", "rows without constraints")
            alarm(
                "NoConstraintsShare",
                self.no_constraints_share,
                t.max_no_constraints_share,
                True,
                f"more than {t.max_no_constraints_share:.0%} of rows carry no format constraints",
            )
        if calls_judge:
            self.judge_error_share = flagged(JUDGE_ERRORS_METRIC, "je", "judge errors")
            alarm(
                "JudgeErrorShare",
                self.judge_error_share,
                t.max_judge_error_share,
                True,
                f"more than {t.max_judge_error_share:.0%} of graded items had a failed judge call",
            )
            self.neutral_score_share = flagged(JUDGE_NEUTRAL_SCORES_METRIC, "ns", "neutral judge scores")
            alarm(
                "NeutralScoreShare",
                self.neutral_score_share,
                t.max_neutral_score_share,
                True,
                f"more than {t.max_neutral_score_share:.0%} of graded items got a neutral judge score instead of "
                "a verdict: those rewards carry no judgment",
            )
        self.mean_reward = when_invoked("reward", "mean reward", reward=grader(REWARD_METRIC, "Average"))
        alarm(
            "RewardStuckAtZero",
            self.mean_reward,
            t.stuck_margin,
            False,
            "the mean reward stayed at 0: the policy gets no reward to learn from",
        )
        alarm(
            "RewardStuckAtOne",
            self.mean_reward,
            1 - t.stuck_margin,
            True,
            "the mean reward stayed at 1: every answer is rewarded, nothing left to learn (or the grader is fooled)",
        )
        self.reward_spread = when_invoked(
            "p90 - p10", "reward p90 - p10", p90=grader(REWARD_METRIC, "p90"), p10=grader(REWARD_METRIC, "p10")
        )
        alarm(
            "RewardSpreadCollapsed",
            self.reward_spread,
            t.min_reward_spread,
            False,
            f"reward p90 - p10 stayed under {t.min_reward_spread}: answers all score alike, no learning signal",
        )
        limit_ms = grader_timeout.to_milliseconds() * t.max_duration_share_of_timeout
        duration = cloudwatch.Metric(
            namespace="AWS/Lambda",
            metric_name="Duration",
            statistic="p99",
            period=period,
            dimensions_map={"FunctionName": function_name},
            label="p99 duration",
        )
        alarm(
            "DurationNearTimeout",
            duration,
            limit_ms,
            True,
            f"p99 duration passed {t.max_duration_share_of_timeout:.0%} of the {grader_timeout.to_seconds()} s "
            "timeout: batches are close to timing out",
        )

    def widgets(self) -> list[cloudwatch.IWidget]:
        shares = [
            m
            for m in (
                self.malformed_share,
                self.no_constraints_share,
                self.judge_error_share,
                self.neutral_score_share,
            )
            if m is not None
        ]
        return [
            cloudwatch.GraphWidget(
                title="Reward health: shares of bad items",
                width=8,
                height=6,
                left=shares,
                left_y_axis=cloudwatch.YAxisProps(min=0, max=1, show_units=False),
            ),
            cloudwatch.GraphWidget(
                title="Reward health: mean reward and spread (p90 - p10)",
                width=8,
                height=6,
                left=[self.mean_reward, self.reward_spread],
                left_y_axis=cloudwatch.YAxisProps(min=0, max=1, show_units=False),
            ),
            cloudwatch.AlarmStatusWidget(title="Reward-health alarms", width=8, height=6, alarms=self.alarms),
        ]
