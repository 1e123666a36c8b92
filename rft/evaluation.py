"""`rft evaluate`'s logic: both models answer every prompt through Converse, the real grader grades
both answers locally, and the shared summary (``evaluation.summary``, also used in the account)
says whether training helped. Files: ``evaluation.json``, ``evaluation.jsonl``, ``evaluation.png``.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evaluation.conversation import answer_text, converse_request, grader_item, is_throttling, metrics_of, usage_of
from evaluation.summary import PASS_THRESHOLD, SIDES, summarize, verdict

from .errors import CliError
from .local_grading import load_handler, run_grader
from .rows import Row

MAX_ATTEMPTS = 8
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 20.0


@dataclass(frozen=True)
class Models:
    base: str
    tuned: str
    max_tokens: int | None = None
    reasoning_effort: str | None = None


@dataclass
class Answer:
    text: str
    input_tokens: int = 0
    output_tokens: int = 0
    attempts: int = 1
    error: str | None = None  # the model never answered: graded as an empty answer (score 0)


def converse_with_retries(
    client: Any,
    request: Mapping[str, Any],
    *,
    max_attempts: int = MAX_ATTEMPTS,
    backoff: float = BACKOFF_BASE_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> Answer:
    """One Converse call; throttling and transient errors retried with full-jitter exponential backoff."""
    rng = rng or random.Random()
    for attempt in range(1, max_attempts + 1):
        try:
            response = client.converse(**request)
        except Exception as exc:  # botocore ClientError and connection errors
            if is_throttling(exc) and attempt < max_attempts:
                sleep(rng.uniform(0, min(BACKOFF_CAP_SECONDS, backoff * 2 ** (attempt - 1))))
                continue
            code = error_code(exc)
            if code in ("AccessDeniedException", "ValidationException", "ResourceNotFoundException"):
                raise CliError(f"{request['modelId']}: {code}: {exc}") from None  # every row would fail alike
            return Answer(text="", attempts=attempt, error=f"{type(exc).__name__}: {exc}")
        usage = usage_of(response)
        return Answer(answer_text(response), usage["inputTokens"], usage["outputTokens"], attempt)
    raise AssertionError("unreachable")


def error_code(exc: BaseException) -> str | None:
    response = getattr(exc, "response", None)
    return response.get("Error", {}).get("Code") if isinstance(response, Mapping) else None


def answer_all(
    client: Any,
    rows: Sequence[Row],
    models: Models,
    *,
    concurrency: int,
    progress: Callable[[int], None] | None = None,
    **retry: Any,
) -> dict[str, list[Answer]]:
    """Every row answered by both models, at most ``concurrency`` requests at once."""
    jobs = [
        (
            side,
            index,
            converse_request(row.data, model, max_tokens=models.max_tokens, reasoning_effort=models.reasoning_effort),
        )
        for side, model in (("base", models.base), ("tuned", models.tuned))
        for index, row in enumerate(rows)
    ]
    answers: dict[str, list[Answer | None]] = {side: [None] * len(rows) for side in SIDES}
    lock = threading.Lock()

    def run(job: tuple[str, int, dict[str, Any]]) -> None:
        side, index, request = job
        answer = converse_with_retries(client, request, **retry)
        with lock:
            answers[side][index] = answer
        if progress:
            progress(1)

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        for future in [pool.submit(run, job) for job in jobs]:
            future.result()  # re-raises a CliError from any worker
    return {side: [a for a in values if a is not None] for side, values in answers.items()}


def grade_answers(
    grader: str,
    rows: Sequence[Row],
    answers: Mapping[str, Sequence[Answer]],
    progress: Callable[[int], None] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Both models' answers graded by the real grader handler, as Bedrock would send them."""
    handler = load_handler(grader)
    results = {}
    for side in SIDES:
        items = [grader_item(row.data, answers[side][i].text, item_id=f"{row.id}#{side}") for i, row in enumerate(rows)]
        results[side] = run_grader(handler, items, progress=progress)
    return results


def records(
    rows: Sequence[Row], answers: Mapping[str, Sequence[Answer]], graded: Mapping[str, Sequence[Mapping[str, Any]]]
) -> list[dict[str, Any]]:
    out = []
    for i, row in enumerate(rows):
        record: dict[str, Any] = {"id": row.id, "line": row.line}
        for side in SIDES:
            answer, result = answers[side][i], graded[side][i]
            record[f"{side}_answer"] = answer.text
            record[f"{side}_score"] = float(result.get("aggregate_reward_score", 0.0) or 0.0)
            record[f"{side}_metrics"] = metrics_of(result)
            if answer.error:
                record[f"{side}_error"] = answer.error
        out.append(record)
    return out


def write_outputs(
    out_dir: Path, summary: Mapping[str, Any], rows: Sequence[Mapping[str, Any]], *, title: str
) -> dict[str, Path]:
    paths = {
        "json": out_dir / "evaluation.json",
        "jsonl": out_dir / "evaluation.jsonl",
        "png": out_dir / "evaluation.png",
    }
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        paths["json"].write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
        with paths["jsonl"].open("w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    except OSError as exc:
        raise CliError(f"cannot write to {out_dir}: {exc.strerror or exc}") from None
    plot(summary, rows, paths["png"], title=title)
    return paths


def plot(summary: Mapping[str, Any], rows: Sequence[Mapping[str, Any]], path: Path, *, title: str) -> None:
    """Left: reward histograms of both models side by side. Right: mean reward, pass rate, per-check means."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colours = {"base": "#8c8c8c", "tuned": "#1f77b4"}
    names = sorted(set(summary["base"]["metrics"]) | set(summary["tuned"]["metrics"]))
    bars = ["mean reward", f"pass rate (>= {PASS_THRESHOLD})"] + names
    fig, (left, right) = plt.subplots(
        1, 2, figsize=(13, max(4.8, 1.6 + 0.42 * len(bars))), gridspec_kw={"width_ratios": [1, 1.1]}
    )
    edges = [i / 10 for i in range(11)]
    width = 0.045
    for offset, side in ((-width / 2, "base"), (width / 2, "tuned")):
        scores = [min(max(float(r[f"{side}_score"]), 0.0), 1.0) for r in rows]
        counts = [0] * 10
        for score in scores:
            counts[min(9, int(score * 10))] += 1
        left.bar(
            [e + 0.05 + offset for e in edges[:-1]],
            counts,
            width=width,
            color=colours[side],
            label=f"{side}: mean {summary[side]['mean_reward']:.2f}",
        )
    left.axvline(PASS_THRESHOLD, color="#d62728", linestyle="--", linewidth=1, label=f"pass ({PASS_THRESHOLD})")
    left.set_xticks(edges)
    left.set_xlim(0, 1)
    left.set_xlabel("reward")
    left.set_ylabel("rows")
    left.set_title("reward distribution")
    left.legend(loc="upper center")
    values = {
        side: [summary[side]["mean_reward"], summary[side]["pass_rate"]]
        + [summary[side]["metrics"].get(n, 0.0) for n in names]
        for side in SIDES
    }
    positions = list(range(len(bars)))[::-1]
    height = 0.38
    for offset, side in ((height / 2, "base"), (-height / 2, "tuned")):
        right.barh([p + offset for p in positions], values[side], height=height, color=colours[side], label=side)
        for p, v in zip(positions, values[side]):
            right.text(v + 0.01, p + offset, f"{v:.2f}", va="center", fontsize=8)
    right.set_yticks(positions)
    right.set_yticklabels([b if len(b) <= 34 else b[:31] + "..." for b in bars], fontsize=9)
    right.set_xlim(0, 1.12)
    right.set_title("means (per-check: metrics_list)")
    right.legend(loc="lower right")
    low, high = summary["lift"]["ci95"]
    fig.suptitle(
        f"{title}\nlift {summary['lift']['mean_reward']:+.3f} mean reward (95% CI {low:+.3f} to "
        f"{high:+.3f}), {summary['lift']['pass_rate'] * 100:+.1f} pts pass rate; n = {summary['tuned']['n']}",
        fontsize=11,
    )
    fig.tight_layout()
    try:
        fig.savefig(path, dpi=110)
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        plt.close(fig)


__all__ = [
    "Answer",
    "Models",
    "answer_all",
    "converse_with_retries",
    "grade_answers",
    "records",
    "summarize",
    "verdict",
    "write_outputs",
]
