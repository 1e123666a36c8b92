"""`rft evaluate` and `rft estimate`: did training help, and what will it cost.

rft evaluate --dataset FILE --grader G --base-model ID --tuned-model ID [--limit N] [--concurrency N]
             [--out DIR] [--yes]
rft evaluate --env ENV [...]   models, grader and dataset from the configuration and the deployed stack
rft estimate --env ENV [--prices FILE]
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from config.model import REPO_ROOT, EnvironmentConfig
from config.settings import ConfigError, load_config, select_environment

from .. import clients
from ..errors import CliError
from ..estimate import (
    DEFAULT_EVALUATION_MODEL,
    dataset_rows,
    estimate,
    evaluation_figures,
    judge_calls_per_item,
    load_prices,
)
from ..evaluation import Models, answer_all, error_code, grade_answers, records, summarize, verdict, write_outputs
from ..local_grading import HANDLER_MODULES
from ..render import progress_bar
from ..rows import read_rows
from .environment_settings import export_grader_settings

DEFAULT_OUT = Path("rft-results") / "evaluation"
DEFAULT_CONCURRENCY = 8
# The customization id of a base model is not invokable; its on-demand inference profile is.
BASE_INFERENCE_IDS = {"amazon.nova-2-lite-v1:0:256k": DEFAULT_EVALUATION_MODEL}


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    evaluate = subparsers.add_parser(
        "evaluate",
        help="compare the tuned model with the base model, graded by the same grader",
        description="Each prompt is answered by the base model and the tuned model (Converse), both answers "
        "are graded locally by the real grader, and the lift is reported with a bootstrap 95%% interval.",
    )
    evaluate.add_argument(
        "--env",
        metavar="ENV",
        help="models, grader and dataset from this environment's "
        "configuration and its deployed deployment-ARN parameter",
    )
    evaluate.add_argument("--config", metavar="PATH", help="the pipeline configuration (with --env)")
    evaluate.add_argument("--dataset", metavar="FILE", help="JSONL rows in the training format")
    evaluate.add_argument("--grader", choices=tuple(HANDLER_MODULES))
    evaluate.add_argument(
        "--base-model",
        metavar="ID",
        help=f"on-demand model id or inference profile of the base model (e.g. {DEFAULT_EVALUATION_MODEL})",
    )
    evaluate.add_argument("--tuned-model", metavar="ID", help="the tuned model's custom-model deployment ARN")
    evaluate.add_argument(
        "--max-tokens", type=int, metavar="N", help="maxTokens per answer (with --env: inferenceMaxTokens)"
    )
    evaluate.add_argument("--limit", type=int, metavar="N", help="evaluate only the first N rows")
    evaluate.add_argument(
        "--concurrency",
        type=int,
        default=DEFAULT_CONCURRENCY,
        metavar="N",
        help=f"Converse requests at once (default {DEFAULT_CONCURRENCY})",
    )
    evaluate.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output directory (default {DEFAULT_OUT})")
    evaluate.add_argument("--yes", action="store_true", help="do not ask before calling the models")
    evaluate.add_argument("--region", default=clients.DEFAULT_REGION)
    evaluate.set_defaults(run=run_evaluate)

    est = subparsers.add_parser(
        "estimate",
        help="what a training job and its evaluation will cost",
        description="Grader invocations, judge calls and tokens, Lambda GB-seconds and "
        "evaluation calls of the environment's job, priced from a dated table.",
    )
    est.add_argument("--env", metavar="ENV", required=True)
    est.add_argument("--config", metavar="PATH", help="the pipeline configuration")
    est.add_argument("--prices", metavar="FILE", help="a price table like config/prices.json")
    est.add_argument(
        "--evaluation-dataset",
        metavar="FILE",
        help="rows the evaluation answers (default: the validation file, else the training file)",
    )
    est.add_argument("--evaluation-model", default=DEFAULT_EVALUATION_MODEL, metavar="ID")
    est.add_argument("--seconds-per-item", type=float, metavar="S", help="grader Lambda seconds per graded item")
    est.set_defaults(run=run_estimate)


def environment(name: str, config_path: str | None) -> EnvironmentConfig:
    try:
        return select_environment(load_config(config_path) if config_path else load_config(), name)
    except ConfigError as exc:
        raise CliError(str(exc)) from None


def evaluation_dataset(config: EnvironmentConfig) -> str | None:
    """``evaluation.dataset`` when the configuration has it, else the validation file, else the training file."""
    configured = getattr(getattr(config, "evaluation", None), "dataset", None)
    return configured or config.dataset.validation or config.dataset.training


def base_inference_id(config: EnvironmentConfig) -> str:
    configured = getattr(getattr(config, "evaluation", None), "base_model_id", None)
    if configured:
        return configured
    if config.base_model_id in BASE_INFERENCE_IDS:
        return BASE_INFERENCE_IDS[config.base_model_id]
    raise CliError(f"{config.base_model_id} is a customization id, not invokable: pass --base-model ID")


def deployed_tuned_model(config: EnvironmentConfig, region: str) -> str:
    from stacks.constructs.model_deployment import deployment_parameter_name

    name = deployment_parameter_name(config.project, config.name)
    ssm = clients.make_client("ssm", region=region)
    try:
        return ssm.get_parameter(Name=name)["Parameter"]["Value"]
    except Exception as exc:
        if error_code(exc) == "ParameterNotFound":
            raise CliError(
                f"no deployment recorded in {name}: has the job completed with modelDeployment "
                "enabled? (or pass --tuned-model ARN)"
            ) from None
        raise


def run_evaluate(args: argparse.Namespace, console: Console) -> int:
    config = environment(args.env, args.config) if args.env else None
    dataset, grader, base, tuned, max_tokens = (
        args.dataset,
        args.grader,
        args.base_model,
        args.tuned_model,
        args.max_tokens,
    )
    reasoning = None
    if config is not None:
        configured = evaluation_dataset(config)
        dataset = dataset or (str(REPO_ROOT / configured) if configured else None)
        grader = grader or config.grader
        base = base or base_inference_id(config)
        if config.hyperparameters is not None:  # None on the open-weight path (no inference settings)
            max_tokens = max_tokens or config.hyperparameters.inference_max_tokens
            reasoning = config.hyperparameters.reasoning_effort
        export_grader_settings(config, grader)
    missing = [
        flag for flag, value in (("--dataset", dataset), ("--grader", grader), ("--base-model", base)) if not value
    ]
    if missing:
        raise CliError(f"missing {', '.join(missing)} (or pass --env ENV)", exit_code=2)
    if args.concurrency < 1:
        raise CliError("--concurrency must be at least 1", exit_code=2)
    rows = read_rows(dataset)
    if args.limit is not None:
        rows = rows[: max(0, args.limit)]
    if not rows:
        raise CliError(f"{dataset}: no rows to evaluate")
    judge_per_answer = judge_calls_per_item(config, grader)
    figures = evaluation_figures(rows, max_tokens=max_tokens or 0, judge_calls_per_answer=judge_per_answer)
    console.print(
        f"evaluation of {len(rows)} rows from {dataset}: {figures['model_calls']} Converse calls "
        f"({len(rows)} on {base}, {len(rows)} on the tuned model), ~{figures['input_tokens']:,} input "
        "tokens"
        + (f", up to {figures['output_tokens']:,} output tokens" if max_tokens else "")
        + (f", {figures['judge_calls']} judge calls" if figures["judge_calls"] else "")
        + f"; {figures['grader_items']} answers graded locally by the {grader} grader",
        markup=False,
        soft_wrap=True,
    )
    if not args.yes and not _confirm(console):
        console.print("nothing spent", markup=False)
        return 1
    if tuned is None:
        if config is None:
            raise CliError("missing --tuned-model (or pass --env ENV)", exit_code=2)
        tuned = deployed_tuned_model(config, args.region)
    client = runtime_client(args.region, args.concurrency)
    models = Models(base=base, tuned=tuned, max_tokens=max_tokens, reasoning_effort=reasoning)
    with progress_bar(console) as progress:
        task = progress.add_task("answering (both models)", total=2 * len(rows))
        answers = answer_all(
            client, rows, models, concurrency=args.concurrency, progress=lambda n: progress.advance(task, n)
        )
        task = progress.add_task(f"grading with {grader}", total=2 * len(rows))
        graded = grade_answers(grader, rows, answers, progress=lambda n: progress.advance(task, n))
    per_row = records(rows, answers, graded)
    summary = summarize(per_row)
    paths = write_outputs(args.out, summary, per_row, title=f"base vs tuned on {Path(dataset).name} ({grader} grader)")
    console.print(summary_table(summary, base=base, tuned=tuned))
    failed = sum(1 for r in per_row for side in ("base", "tuned") if f"{side}_error" in r)
    if failed:
        console.print(
            f"note: {failed} answers failed after retries and were graded as empty (score 0); see {paths['jsonl']}",
            markup=False,
            soft_wrap=True,
        )
    console.print(f"verdict: {verdict(summary)}", markup=False, soft_wrap=True)
    for key in ("json", "jsonl", "png"):
        console.print(f"{key}: {paths[key]}", markup=False, soft_wrap=True)
    return 0


def runtime_client(region: str, concurrency: int) -> Any:
    """A Converse client whose own retries are off: `converse_with_retries` backs off on throttling."""
    import boto3
    from botocore.config import Config

    config = Config(
        retries={"max_attempts": 1, "mode": "standard"},
        max_pool_connections=max(10, concurrency),
        read_timeout=300,
        connect_timeout=10,
    )
    return boto3.client("bedrock-runtime", region_name=region, config=config)


def _confirm(console: Console) -> bool:
    try:
        reply = console.input("call the models and spend? [y/N] ")
    except EOFError:
        return False
    return reply.strip().lower() in ("y", "yes")


def summary_table(summary: dict[str, Any], *, base: str, tuned: str) -> Table:
    table = Table(title=Text("evaluation: base vs tuned, same grader"))
    table.add_column("")
    table.add_column(Text(f"base\n{base}"), justify="right")
    table.add_column(Text(f"tuned\n{_short(tuned)}"), justify="right")
    table.add_column("lift", justify="right")
    lift = summary["lift"]
    table.add_row("rows", str(summary["base"]["n"]), str(summary["tuned"]["n"]), "")
    table.add_row(
        "mean reward",
        f"{summary['base']['mean_reward']:.3f}",
        f"{summary['tuned']['mean_reward']:.3f}",
        f"{lift['mean_reward']:+.3f}",
    )
    table.add_row("  95% CI (paired bootstrap)", "", "", f"{lift['ci95'][0]:+.3f} .. {lift['ci95'][1]:+.3f}")
    table.add_row(
        "pass rate (>= 0.5)",
        f"{summary['base']['pass_rate']:.1%}",
        f"{summary['tuned']['pass_rate']:.1%}",
        f"{lift['pass_rate'] * 100:+.1f} pts",
    )
    for name in sorted(set(summary["base"]["metrics"]) | set(summary["tuned"]["metrics"])):
        b, t = summary["base"]["metrics"].get(name), summary["tuned"]["metrics"].get(name)
        table.add_row(
            Text(name),
            "" if b is None else f"{b:.3f}",
            "" if t is None else f"{t:.3f}",
            "" if b is None or t is None else f"{t - b:+.3f}",
        )
    return table


def _short(model: str) -> str:
    return model if len(model) <= 40 else "..." + model[-37:]


def run_estimate(args: argparse.Namespace, console: Console) -> int:
    config = environment(args.env, args.config)
    if config.hyperparameters is None:
        raise CliError(
            f"{args.env}: rft estimate covers the Nova path only; {config.base_model_id} takes the "
            "open-weight path (docs/open-weight.md)"
        )
    prices = load_prices(args.prices)
    training = dataset_rows(config.dataset.training)
    if not training:
        raise CliError(f"{args.env}: no training dataset configured")
    validation = dataset_rows(config.dataset.validation)
    evaluation_rows = (
        read_rows(args.evaluation_dataset) if args.evaluation_dataset else dataset_rows(evaluation_dataset(config))
    )
    limit = getattr(getattr(config, "evaluation", None), "limit", None)
    if limit:
        evaluation_rows = evaluation_rows[:limit]
    result = estimate(
        config,
        prices,
        training=training,
        validation=validation,
        evaluation=evaluation_rows,
        evaluation_model=args.evaluation_model,
        seconds_per_item=args.seconds_per_item,
    )
    f = result.figures
    console.print(
        f"environment {config.name}: {f['training_rows']} training rows x "
        f"{config.hyperparameters.training_sample_per_prompt} samples x "
        f"{config.hyperparameters.epoch_count} epochs = {f['training_items']:,} graded items, plus "
        f"{f['validation_items']:,} validation items ({f['validation_runs']} validation runs of "
        f"{f['validation_rows']} rows); {f['judge_calls']:,} judge calls",
        markup=False,
        soft_wrap=True,
    )
    table = Table(title=Text(f"estimated cost for {config.name} (prices as of {prices['asOf']})"))
    for column in ("item", "quantity", "unit", "USD", "how"):
        table.add_column(column, justify="right" if column in ("quantity", "USD") else "left")
    for line in result.lines:
        quantity = f"{line.quantity:,.0f}" if line.quantity >= 100 else f"{line.quantity:,.2f}"
        table.add_row(
            Text(line.what), quantity, line.unit, "unpriced" if line.usd is None else f"{line.usd:.4f}", Text(line.note)
        )
    table.add_row("total (priced lines)", "", "", f"{result.total_usd:.4f}", "")
    console.print(table)
    for note in result.notes:
        console.print(f"note: {note}", markup=False, soft_wrap=True)
    return 0
