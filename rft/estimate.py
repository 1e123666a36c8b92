"""What a training job and its evaluation will cost, before anything is spent.

Counts come from the configuration and the datasets; money from a dated price table
(``config/prices.json``, or ``--prices FILE``). Tokens are estimated at ``CHARS_PER_TOKEN``
characters per token; a model's answer is counted at ``inferenceMaxTokens`` (an upper bound: the
length of answers cannot be known in advance, nor can training hours, which are shown as a rate).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from config.model import REPO_ROOT, EnvironmentConfig
from graders.catalog import CATALOG, calls_judge

from .errors import CliError
from .rows import Row, read_rows

DEFAULT_PRICES = REPO_ROOT / "config" / "prices.json"
CHARS_PER_TOKEN = 4
# Items per grader invocation: Bedrock sends rollouts in batches; 64 is what a Lambda grader sees per call
# in the sample runs (the job's batchSize), the same assumption `rft grade` makes.
ITEMS_PER_INVOCATION = 64
# Seconds of Lambda time per graded item (sympy parsing; the judge waits on Bedrock, bounded by its
# concurrency). Assumptions to be replaced by `make bench` figures; override with --seconds-per-item.
JUDGE_OUTPUT_TOKENS = 1024  # JudgeSettings.max_tokens default (JUDGE_MAX_TOKENS)
JUDGE_RUBRIC_TOKENS = 450  # ~1.7k characters of rubric plus the request wrapper
STATE_TRANSITIONS_PER_ROW = 8  # evaluation map: iteration, parallel, two answers, grader, record
DEFAULT_EVALUATION_MODEL = "us.amazon.nova-2-lite-v1:0"


def tokens(text_chars: int) -> int:
    return math.ceil(text_chars / CHARS_PER_TOKEN)


def load_prices(path: str | Path | None = None) -> dict[str, Any]:
    target = Path(path) if path else DEFAULT_PRICES
    try:
        prices = json.loads(target.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CliError(f"{target}: cannot read the price table: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise CliError(f"{target}: not valid JSON: {exc.msg} (line {exc.lineno})") from None
    for key in ("asOf", "source", "models", "lambda"):
        if key not in prices:
            raise CliError(f"{target}: the price table has no {key!r}")
    return prices


def model_price(prices: Mapping[str, Any], model_id: str) -> tuple[float, float] | None:
    entry = prices["models"].get(model_id)
    if entry is None:
        return None
    return float(entry["inputPerMillionTokens"]), float(entry["outputPerMillionTokens"])


def _text_chars(row: Row) -> tuple[int, int]:
    """(prompt characters, reference characters) of one row."""
    prompt = 0
    for turn in row.data.get("messages") or []:
        if isinstance(turn, Mapping) and isinstance(turn.get("content"), str):
            prompt += len(turn["content"])
    reference = row.data.get("reference_answer", row.data.get("reference", ""))
    return prompt, len(reference if isinstance(reference, str) else json.dumps(reference))


def grader_memory_mb(grader: str) -> int:
    """The grader's memory as the graders stack deploys it (from the grader catalogue)."""
    from graders.catalog import CATALOG

    return CATALOG[grader].memory_mb


@dataclass
class Line:
    what: str
    quantity: float
    unit: str
    usd: float | None
    note: str = ""


@dataclass
class Estimate:
    lines: list[Line] = field(default_factory=list)
    figures: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def total_usd(self) -> float:
        return sum(line.usd for line in self.lines if line.usd is not None)


def judge_calls_per_item(config: EnvironmentConfig | None, grader: str) -> int:
    """Judge calls per graded item: one when the grader calls the judge with these settings (the catalogue's
    rule), else none; without a configuration, the catalogue's defaults."""
    if config is None:
        return 1 if calls_judge(grader, {}) else 0
    return 1 if config.grader_calls_judge(grader) else 0


def estimate(
    config: EnvironmentConfig,
    prices: Mapping[str, Any],
    *,
    training: Sequence[Row],
    validation: Sequence[Row] = (),
    evaluation: Sequence[Row] = (),
    evaluation_model: str = DEFAULT_EVALUATION_MODEL,
    seconds_per_item: float | None = None,
) -> Estimate:
    """Counts, tokens and money of one job on ``training`` (and ``validation``) and its evaluation."""
    hp = config.hyperparameters
    if hp is None:
        raise ValueError(f"{config.name}: the estimate covers the Nova path only (no hyperparameters on this one)")
    out = Estimate()
    grader = config.grader
    samples, epochs = hp.training_sample_per_prompt, hp.epoch_count
    training_items = len(training) * samples * epochs
    steps = math.ceil(len(training) * epochs / hp.batch_size)
    validation_runs = steps // hp.eval_interval if validation else 0
    validation_items = validation_runs * len(validation) * samples
    items = training_items + validation_items
    invocations = math.ceil(training_items / ITEMS_PER_INVOCATION) + (
        validation_runs * math.ceil(len(validation) * samples / ITEMS_PER_INVOCATION)
    )
    per_item = CATALOG[grader].seconds_per_item if seconds_per_item is None else seconds_per_item
    memory_gb = grader_memory_mb(grader) / 1024
    gb_seconds = items * per_item * memory_gb
    out.figures.update(
        training_rows=len(training),
        validation_rows=len(validation),
        training_items=training_items,
        validation_runs=validation_runs,
        validation_items=validation_items,
        grader_items=items,
        grader_invocations=invocations,
        lambda_gb_seconds=gb_seconds,
        training_steps=steps,
    )
    lam = prices["lambda"]
    out.lines.append(
        Line(
            f"{grader} grader: Lambda requests",
            invocations,
            "requests",
            invocations * float(lam["perMillionRequests"]) / 1e6,
            f"{items} graded items / {ITEMS_PER_INVOCATION} per call",
        )
    )
    out.lines.append(
        Line(
            f"{grader} grader: Lambda compute",
            gb_seconds,
            "GB-s",
            gb_seconds * float(lam["perGbSecond"]),
            f"{items} items x {per_item:g} s x {memory_gb:g} GB (assumed seconds per item)",
        )
    )

    # The judge: one call per graded item; it reads rubric, prompt, reference and the answer.
    calls_per_item = judge_calls_per_item(config, grader)
    judge_calls = items * calls_per_item
    judge_in = judge_out = 0
    if judge_calls:

        def judge_input(rows: Sequence[Row]) -> int:
            return sum(JUDGE_RUBRIC_TOKENS + tokens(sum(_text_chars(r))) + hp.inference_max_tokens for r in rows)

        judge_in = (
            judge_input(training) * samples * epochs + judge_input(validation) * samples * validation_runs
        ) * calls_per_item
        judge_out = judge_calls * JUDGE_OUTPUT_TOKENS
        price = model_price(prices, config.judge.model_id)
        out.lines.append(
            Line(
                f"judge {config.judge.model_id}: input tokens",
                judge_in,
                "tokens",
                None if price is None else judge_in * price[0] / 1e6,
                f"{judge_calls} calls; answers counted at inferenceMaxTokens {hp.inference_max_tokens}",
            )
        )
        out.lines.append(
            Line(
                f"judge {config.judge.model_id}: output tokens",
                judge_out,
                "tokens",
                None if price is None else judge_out * price[1] / 1e6,
                f"at most {JUDGE_OUTPUT_TOKENS} per verdict",
            )
        )
    out.figures.update(judge_calls=judge_calls, judge_input_tokens=judge_in, judge_output_tokens=judge_out)

    # The evaluation: both models answer every row, the grader grades both answers.
    if evaluation:
        figures = evaluation_figures(
            evaluation, max_tokens=hp.inference_max_tokens, judge_calls_per_answer=calls_per_item
        )
        out.figures.update({f"evaluation_{k}": v for k, v in figures.items()})
        price = model_price(prices, evaluation_model)
        eval_in, eval_out = figures["input_tokens"], figures["output_tokens"]
        out.lines.append(
            Line(
                f"evaluation: {figures['model_calls']} Converse calls (base + tuned), input",
                eval_in,
                "tokens",
                None if price is None else eval_in * price[0] / 1e6,
                f"{len(evaluation)} rows; the tuned deployment billed at the base rate",
            )
        )
        out.lines.append(
            Line(
                "evaluation: output (upper bound)",
                eval_out,
                "tokens",
                None if price is None else eval_out * price[1] / 1e6,
                f"{figures['model_calls']} answers x inferenceMaxTokens {hp.inference_max_tokens}",
            )
        )
        if figures["judge_calls"]:
            judge_price = model_price(prices, config.judge.model_id)
            j_in = figures["judge_input_tokens"]
            j_out = figures["judge_calls"] * JUDGE_OUTPUT_TOKENS
            out.lines.append(
                Line(
                    f"evaluation: {figures['judge_calls']} judge calls",
                    j_in + j_out,
                    "tokens",
                    None if judge_price is None else (j_in * judge_price[0] + j_out * judge_price[1]) / 1e6,
                )
            )
        transitions = len(evaluation) * STATE_TRANSITIONS_PER_ROW
        sfn = prices.get("stepFunctions")
        if sfn:
            out.lines.append(
                Line(
                    "evaluation: Step Functions state transitions",
                    transitions,
                    "transitions",
                    transitions * float(sfn["perThousandStateTransitions"]) / 1000,
                    "in-account evaluation only (not rft evaluate)",
                )
            )
    rate = (prices.get("training") or {}).get("perHour")
    out.notes.append(
        "training: "
        + (
            f"${float(rate):.2f} per training hour; the hours are not known in advance"
            if rate is not None
            else "billed per training hour at a rate this table does not carry; the hours "
            "depend on the job and are not known in advance"
        )
        + f" ({steps} training steps: {len(training)} rows x {epochs} epochs / batch {hp.batch_size})"
    )
    out.notes.append(
        f"tokens estimated at {CHARS_PER_TOKEN} characters per token; answers at their "
        f"maxTokens bound ({hp.inference_max_tokens}), so model output is an upper bound"
    )
    out.notes.append(f"prices as of {prices['asOf']}: {prices['source']}")
    return out


def evaluation_figures(rows: Sequence[Row], *, max_tokens: int, judge_calls_per_answer: int = 0) -> dict[str, int]:
    """Calls and tokens of evaluating ``rows`` on two models (also what `rft evaluate` asks about)."""
    prompt_tokens = sum(tokens(_text_chars(r)[0]) for r in rows)
    model_calls = 2 * len(rows)
    judge_calls = model_calls * judge_calls_per_answer
    judge_input = (
        2 * judge_calls_per_answer * sum(JUDGE_RUBRIC_TOKENS + tokens(sum(_text_chars(r))) + max_tokens for r in rows)
    )
    return {
        "rows": len(rows),
        "model_calls": model_calls,
        "input_tokens": 2 * prompt_tokens,
        "output_tokens": model_calls * max_tokens,
        "grader_items": model_calls,
        "judge_calls": judge_calls,
        "judge_input_tokens": judge_input,
    }


def dataset_rows(path: str | None) -> list[Row]:
    return read_rows(REPO_ROOT / path) if path else []
