"""`rft grade` and `rft rehearse`: the real grader code, run locally, before any money is spent."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from graders.catalog import CATALOG, calls_judge

from ..errors import CliError
from ..local_grading import HANDLER_MODULES, batch_item, load_handler, metrics_of, prompt_and_response, run_grader
from ..render import distribution_tables, metrics_table, progress_bar
from ..rows import read_rows
from ..scoring import auc, metric_means, stats
from ..synthesis.rehearsal import REFERENCE, build_cases, low_score_details
from .environment_settings import add_environment_arguments, apply_environment

RESULTS_DIR = Path("rft-results")
DEFAULT_MIN_GAP = 0.3
DEFAULT_MIN_AUC = 0.8
GRADER_HELP = (
    "the grader whose Lambda handler scores the answers: math (against reference_answer), format (IFEval "
    "constraints), judge (an LLM through the Bedrock runtime: billed calls), composite (a weighted mix), code "
    "(runs the row's tests), tools (tool calls). Default: the grader of --env"
)


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    grade = subparsers.add_parser(
        "grade",
        help="grade rows that carry responses with the real grader, locally",
        description="Grade each row's response (a 'response' field, or a last "
        "assistant turn) with the grader's Lambda handler, locally.",
    )
    grade.add_argument("file", metavar="FILE", help="JSONL: dataset rows plus a response")
    grade.add_argument("--grader", choices=tuple(HANDLER_MODULES), help=GRADER_HELP)
    add_environment_arguments(grade)
    grade.add_argument("--region", help="AWS region of the judge's calls (default: AWS_REGION or the profile's)")
    grade.add_argument(
        "--out", type=Path, help="per-row results JSONL (default rft-results/<FILE stem>.<grader>.graded.jsonl)"
    )
    grade.set_defaults(run=run_grade)

    rehearse = subparsers.add_parser(
        "rehearse",
        help="check that a grader separates right from corrupted answers",
        description="Grade each row's reference answer (should score high) and "
        "corrupted answers (should score low); fail when the grader cannot tell "
        "them apart.",
    )
    rehearse.add_argument("dataset", metavar="DATASET", help="the training JSONL")
    rehearse.add_argument("--grader", choices=tuple(HANDLER_MODULES), help=GRADER_HELP)
    add_environment_arguments(rehearse)
    rehearse.add_argument("--region", help="AWS region of the judge's calls (default: AWS_REGION or the profile's)")
    rehearse.add_argument(
        "--min-gap",
        type=float,
        default=DEFAULT_MIN_GAP,
        help=f"smallest acceptable mean(reference) - mean(corrupted), overall and per kind (default {DEFAULT_MIN_GAP})",
    )
    rehearse.add_argument(
        "--min-auc",
        type=float,
        default=DEFAULT_MIN_AUC,
        help=f"smallest acceptable AUC of references over corruptions (default {DEFAULT_MIN_AUC})",
    )
    rehearse.add_argument("--limit", type=int, metavar="N", help="rehearse only the first N rows")
    rehearse.add_argument("--out", type=Path, help="write every graded case to this JSONL")
    rehearse.set_defaults(run=run_rehearse)


def _grade_items(
    console: Console, grader: str, items: Sequence[dict[str, Any]], *, reasons: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    handler = load_handler(grader)
    with progress_bar(console) as progress:
        task = progress.add_task(f"grading with {grader}", total=len(items))
        return run_grader(handler, items, progress=lambda n: progress.advance(task, n), reasons=reasons)


def _write_jsonl(path: Path, records: Sequence[dict[str, Any]]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as out:
            for record in records:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror or exc}") from None


# -- grade -----------------------------------------------------------------------------------------
def _settings(args: argparse.Namespace) -> None:
    apply_environment(args)
    if args.grader is None:
        raise CliError("give --grader G, or --env ENV to grade with that environment's grader", exit_code=2)
    if getattr(args, "region", None):
        os.environ["AWS_REGION"] = args.region
    _check_judge_access(args.grader)


def _check_judge_access(grader: str) -> None:
    """One line before the first batch, not a traceback per item, when the judge cannot be called at all."""
    import boto3

    if not calls_judge(grader, _settings_from_environment()) or HANDLER_MODULES[grader] != CATALOG[grader].module:
        return  # no judge calls, or a handler other than the catalogue's (which brings its own client)
    session = boto3.Session()
    region = os.environ.get("JUDGE_REGION") or os.environ.get("AWS_REGION") or session.region_name
    if not region:
        raise CliError(
            f"the {grader} grader calls the Bedrock runtime and no AWS region is set: pass --region "
            "us-east-1, set AWS_REGION, or use --env ENV"
        )
    os.environ.setdefault("AWS_REGION", region)
    os.environ.setdefault("AWS_DEFAULT_REGION", region)
    if session.get_credentials() is None:
        raise CliError(
            f"the {grader} grader calls the Bedrock runtime and no AWS credentials were found: run "
            "`aws configure` / `aws sso login`, or set AWS_PROFILE"
        )


def _settings_from_environment() -> dict[str, dict[str, object]]:
    """The composite's weights as the handler will read them (so a judge of weight 0 needs no credentials)."""
    raw = os.environ.get("COMPOSITE_WEIGHTS", "").strip()
    try:
        weights = json.loads(raw) if raw else None
    except ValueError:
        weights = None
    return {"composite": {"weights": weights}} if isinstance(weights, dict) else {}


def _all_failed(results: Sequence[dict[str, Any]]) -> str | None:
    """The reason when every item errored (a grade of only errors is a failed run, not a low score)."""
    flags = ("grader_error", "malformed", "configuration_error")
    if results and all(any(metrics_of(r).get(f) for f in flags) for r in results):
        return f"every one of the {len(results)} items failed to grade (see the per-row results for reasons)"
    return None


def run_grade(args: argparse.Namespace, console: Console) -> int:
    _settings(args)
    rows = read_rows(args.file)
    items, missing = [], []
    for row in rows:
        _, response = prompt_and_response(row.data)
        if response is None:
            missing.append(row.line)
        items.append(batch_item(row, response))
    if missing:
        shown = ", ".join(map(str, missing[:10])) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
        raise CliError(
            f"{args.file}: no response to grade on line(s) {shown}: give each row a 'response' "
            "field or end its 'messages' with an assistant turn"
        )
    results = _grade_items(console, args.grader, items)
    out = args.out or RESULTS_DIR / f"{Path(args.file).stem}.{args.grader}.graded.jsonl"
    _write_jsonl(
        out,
        [
            {"line": row.line, "id": row.id, "score": res.get("aggregate_reward_score"), "metrics": metrics_of(res)}
            for row, res in zip(rows, results)
        ],
    )
    scores = [float(r.get("aggregate_reward_score", 0.0)) for r in results]
    for table in distribution_tables(scores, title=f"rewards from the {args.grader} grader: {args.file}"):
        console.print(table)
    checks = metrics_table(metric_means(results))
    if checks is not None:
        console.print(checks)
    console.print(f"per-row results: {out}", markup=False, soft_wrap=True)
    failure = _all_failed(results)
    if failure:
        raise CliError(failure)
    return 0


# -- rehearse --------------------------------------------------------------------------------------
def run_rehearse(args: argparse.Namespace, console: Console) -> int:
    _settings(args)
    rows = read_rows(args.dataset)
    if args.limit is not None:
        rows = rows[: max(0, args.limit)]
    cases, skipped = build_cases(rows, args.grader)
    for skip in skipped[:10]:
        console.print(f"skipped {args.dataset}:{skip.row.line}: {skip.reason}", markup=False, soft_wrap=True)
    if len(skipped) > 10:
        console.print(f"... and {len(skipped) - 10} more rows skipped", soft_wrap=True)
    if not cases:
        raise CliError(f"{args.dataset}: no row could be rehearsed with the {args.grader} grader")
    items = [batch_item(case.row, case.response, item_id=case.item_id) for case in cases]
    if args.grader == "judge":
        console.print(
            f"note: the judge calls the Bedrock runtime once per case ({len(items)} calls, billed)",
            markup=False,
            soft_wrap=True,
        )
    reasons: dict[str, str] = {}
    results = _grade_items(console, args.grader, items, reasons=reasons)
    scores = [float(r.get("aggregate_reward_score", 0.0)) for r in results]
    if args.out:
        _write_jsonl(
            args.out,
            [
                {
                    "line": c.row.line,
                    "id": c.row.id,
                    "kind": c.kind,
                    "score": s,
                    "response": c.response,
                    "metrics": metrics_of(r),
                }
                for c, s, r in zip(cases, scores, results)
            ],
        )
    by_kind: dict[str, list[float]] = {}
    for case, score in zip(cases, scores):
        by_kind.setdefault(case.kind, []).append(score)
    positives = by_kind.get(REFERENCE, [])
    negatives = [s for kind, values in by_kind.items() if kind != REFERENCE for s in values]
    reference_mean = stats(positives).mean
    table = Table(
        title=Text(
            f"rehearsal of the {args.grader} grader on {args.dataset} "
            f"({len(rows) - len(skipped)} rows, {len(skipped)} skipped)"
        )
    )
    for column in ("answers", "cases", "mean", "min", "max", "gap to reference"):
        table.add_column(column, justify="left" if column == "answers" else "right")
    problems = []
    for kind, values in by_kind.items():
        summary = stats(values)
        gap = reference_mean - summary.mean
        if kind != REFERENCE and gap < args.min_gap:
            problems.append(
                f"'{kind}' answers score {summary.mean:.2f} on average, too close to the "
                f"reference answers' {reference_mean:.2f}"
            )
        table.add_row(
            kind,
            str(summary.count),
            f"{summary.mean:.3f}",
            f"{summary.minimum:.3f}",
            f"{summary.maximum:.3f}",
            "" if kind == REFERENCE else f"{gap:+.3f}",
        )
    console.print(table)
    overall_gap = reference_mean - stats(negatives).mean
    separation = auc(positives, negatives)
    console.print(
        f"mean gap {overall_gap:.3f} (need >= {args.min_gap}), AUC {separation:.3f} (need >= {args.min_auc})",
        markup=False,
        soft_wrap=True,
    )
    low = [(c, s, r) for c, s, r in zip(cases, scores, results) if c.kind == REFERENCE and s < 0.5]
    for case, score, result in low[:10]:
        details = low_score_details(metrics_of(result), reasons.get(case.item_id))
        console.print(
            f"note: the reference answer on {args.dataset}:{case.row.line} scores only {score:.2f}"
            + (f" ({details})" if details else ""),
            markup=False,
            soft_wrap=True,
        )
    if len(low) > 10:
        console.print(f"... and {len(low) - 10} more reference answers below 0.5", markup=False, soft_wrap=True)
    if overall_gap < args.min_gap:
        problems.insert(0, f"mean gap {overall_gap:.2f} < {args.min_gap}")
    if separation < args.min_auc:
        problems.insert(0, f"AUC {separation:.2f} < {args.min_auc}")
    if problems:
        console.print(
            f"[bold red]FAIL[/bold red]: the {args.grader} grader cannot tell right answers from corrupted ones:",
            soft_wrap=True,
        )
        for problem in problems:
            console.print(f"  - {problem}", markup=False, soft_wrap=True)
        return 1
    console.print(
        f"[bold green]PASS[/bold green]: the {args.grader} grader separates right answers from corrupted ones",
        soft_wrap=True,
    )
    return 0
