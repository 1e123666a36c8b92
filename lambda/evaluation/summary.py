"""Base-versus-tuned summaries: mean reward, pass rate, per-metric means and the lift with a paired
bootstrap 95% interval. Shared by the in-account evaluation (Step Functions) and ``rft evaluate``,
so both report the same figures from the same rows. Standard library only (the Lambda imports it cheaply).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

PASS_THRESHOLD = 0.5  # a score at or above this counts as a pass
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 15
SIDES = ("base", "tuned")


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def side_summary(scores: Sequence[float], metrics: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """``{"n", "mean_reward", "pass_rate", "metrics": {name: mean}}`` of one model's graded answers."""
    by_name: dict[str, list[float]] = {}
    for row_metrics in metrics:
        for name, value in (row_metrics or {}).items():
            try:
                by_name.setdefault(str(name), []).append(float(value))
            except (TypeError, ValueError):
                continue
    return {
        "n": len(scores),
        "mean_reward": _mean(scores),
        "pass_rate": _mean([1.0 if s >= PASS_THRESHOLD else 0.0 for s in scores]),
        "metrics": {name: _mean(values) for name, values in sorted(by_name.items())},
    }


def paired_bootstrap_ci(
    base: Sequence[float], tuned: Sequence[float], *, resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED
) -> list[float]:
    """95% percentile interval of mean(tuned - base), resampling prompts (pairs stay together)."""
    if len(base) != len(tuned):
        raise ValueError(f"paired scores differ in length: {len(base)} base, {len(tuned)} tuned")
    if not base:
        return [0.0, 0.0]
    differences = [t - b for b, t in zip(base, tuned)]
    rng = random.Random(seed)
    n = len(differences)
    means = sorted(sum(differences[rng.randrange(n)] for _ in range(n)) / n for _ in range(resamples))
    return [means[int(0.025 * (resamples - 1))], means[round(0.975 * (resamples - 1))]]


def summarize(rows: Iterable[Mapping[str, Any]], *, seed: int = BOOTSTRAP_SEED) -> dict[str, Any]:
    """The evaluation summary from per-row records (``base_score``, ``tuned_score``, ``*_metrics``)."""
    rows = list(rows)
    sides = {
        side: side_summary([float(r[f"{side}_score"]) for r in rows], [r.get(f"{side}_metrics") or {} for r in rows])
        for side in SIDES
    }
    base = [float(r["base_score"]) for r in rows]
    tuned = [float(r["tuned_score"]) for r in rows]
    return {
        **sides,
        "lift": {
            "mean_reward": sides["tuned"]["mean_reward"] - sides["base"]["mean_reward"],
            "pass_rate": sides["tuned"]["pass_rate"] - sides["base"]["pass_rate"],
            "ci95": paired_bootstrap_ci(base, tuned, seed=seed),
        },
    }


def verdict(summary: Mapping[str, Any]) -> str:
    """One sentence: did training help, by the interval rather than the point estimate."""
    low, high = summary["lift"]["ci95"]
    lift = summary["lift"]["mean_reward"]
    if low > 0:
        return f"the tuned model is better: mean reward {lift:+.3f} (95% CI {low:+.3f} to {high:+.3f})"
    if high < 0:
        return f"the tuned model is WORSE: mean reward {lift:+.3f} (95% CI {low:+.3f} to {high:+.3f})"
    return f"no clear difference: mean reward {lift:+.3f} (95% CI {low:+.3f} to {high:+.3f} includes 0)"


def markdown_report(summary: Mapping[str, Any], *, title: str, details: Mapping[str, str] | None = None) -> str:
    """A short Markdown report: the verdict, a base/tuned table and the per-metric means."""
    lines = [f"# {title}", "", f"**Verdict:** {verdict(summary)}.", ""]
    for key, value in (details or {}).items():
        lines.append(f"- {key}: `{value}`")
    if details:
        lines.append("")
    lift = summary["lift"]
    lines += [
        "| | base | tuned | lift |",
        "|---|---:|---:|---:|",
        f"| rows | {summary['base']['n']} | {summary['tuned']['n']} | |",
        f"| mean reward | {summary['base']['mean_reward']:.3f} | {summary['tuned']['mean_reward']:.3f} | "
        f"{lift['mean_reward']:+.3f} |",
        f"| pass rate (score >= {PASS_THRESHOLD}) | {summary['base']['pass_rate']:.1%} | "
        f"{summary['tuned']['pass_rate']:.1%} | {lift['pass_rate'] * 100:+.1f} pts |",
        "",
        f"Lift 95% interval (paired bootstrap, {BOOTSTRAP_RESAMPLES} resamples): "
        f"{lift['ci95'][0]:+.3f} to {lift['ci95'][1]:+.3f}",
        "",
    ]
    names = sorted(set(summary["base"]["metrics"]) | set(summary["tuned"]["metrics"]))
    if names:
        lines += ["## Per-check means (metrics_list)", "", "| metric | base | tuned |", "|---|---:|---:|"]
        for name in names:
            b, t = summary["base"]["metrics"].get(name), summary["tuned"]["metrics"].get(name)
            lines.append(f"| {name} | {'' if b is None else f'{b:.3f}'} | {'' if t is None else f'{t:.3f}'} |")
        lines.append("")
    return "\n".join(lines)


def notification_text(summary: Mapping[str, Any], *, job_name: str, results_uri: str) -> str:
    lift = summary["lift"]
    return "\n".join(
        [
            f"Evaluation of RFT job {job_name}: base model versus tuned deployment, same grader.",
            f"Verdict: {verdict(summary)}.",
            f"Mean reward: base {summary['base']['mean_reward']:.3f}, tuned {summary['tuned']['mean_reward']:.3f} "
            f"({lift['mean_reward']:+.3f})",
            f"Pass rate (score >= {PASS_THRESHOLD}): base {summary['base']['pass_rate']:.1%}, "
            f"tuned {summary['tuned']['pass_rate']:.1%} ({lift['pass_rate'] * 100:+.1f} points)",
            f"Rows: {summary['tuned']['n']}",
            f"Results (per-row JSONL, summary JSON, Markdown report): {results_uri}",
        ]
    )
