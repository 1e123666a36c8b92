"""The grader Lambdas' package. Import-light: the stacks read these names at synth time.

Every grader publishes its EMF metrics under :data:`METRICS_NAMESPACE` with exactly the dimensions
:func:`metric_dimensions` gives (``grader`` plus the Powertools ``service``); the dashboard and the
reward-health alarms query the same names from here, so the two cannot drift apart.
"""

from __future__ import annotations

METRICS_NAMESPACE = "BedrockRFT"
GRADER_DIMENSION = "grader"
SERVICE_DIMENSION = "service"  # the dimension Powertools adds from the service name
REWARD_METRIC = "Reward"
# Sums of the judge's token usage per batch (the judge, and the composite when it runs the judge).
JUDGE_INPUT_TOKENS_METRIC = "JudgeInputTokens"
JUDGE_OUTPUT_TOKENS_METRIC = "JudgeOutputTokens"
# Per-batch counts of the items whose flag is set: the reward-health shares are count / BatchSize, since
# ``Check.<name>`` averages only the items that report the check and so cannot give a share of the batch.
JUDGE_ERRORS_METRIC = "JudgeErrors"
JUDGE_NEUTRAL_SCORES_METRIC = "JudgeNeutralScores"
ITEMS_WITHOUT_CONSTRAINTS_METRIC = "ItemsWithoutConstraints"


def service_name(kind: str) -> str:
    """The Powertools service (logs and the ``service`` metric dimension) of the ``kind`` grader."""
    return f"rft-grader-{kind}"


def metric_dimensions(kind: str) -> dict[str, str]:
    """The full dimension set of the ``kind`` grader's EMF metrics; CloudWatch matches it exactly."""
    return {GRADER_DIMENSION: kind, SERVICE_DIMENSION: service_name(kind)}
