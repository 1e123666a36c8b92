"""Summaries of reward scores: statistics, a histogram, per-metric means and a separation measure."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

BUCKETS = 10


@dataclass(frozen=True)
class Stats:
    count: int
    mean: float
    minimum: float
    maximum: float
    median: float


def stats(scores: Sequence[float]) -> Stats:
    if not scores:
        return Stats(0, 0.0, 0.0, 0.0, 0.0)
    ordered = sorted(scores)
    middle = len(ordered) // 2
    median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return Stats(len(ordered), sum(ordered) / len(ordered), ordered[0], ordered[-1], median)


def histogram(scores: Iterable[float], buckets: int = BUCKETS) -> list[tuple[float, float, int]]:
    """Counts in equal buckets over [0, 1]; the last bucket includes 1.0."""
    counts = [0] * buckets
    for score in scores:
        index = min(buckets - 1, max(0, int(score * buckets)))
        counts[index] += 1
    return [(i / buckets, (i + 1) / buckets, counts[i]) for i in range(buckets)]


def metric_means(results: Iterable[Mapping[str, Any]]) -> dict[str, tuple[str, float, int]]:
    """Per ``metrics_list`` name: (type, mean value, count)."""
    values: dict[str, list[float]] = defaultdict(list)
    kinds: dict[str, str] = {}
    for res in results:
        for entry in res.get("metrics_list") or ():
            try:
                values[entry["name"]].append(float(entry["value"]))
                kinds.setdefault(entry["name"], str(entry.get("type", "")))
            except (KeyError, TypeError, ValueError):
                continue
    return {name: (kinds[name], sum(v) / len(v), len(v)) for name, v in sorted(values.items())}


def auc(positives: Sequence[float], negatives: Sequence[float]) -> float:
    """P(a random positive outscores a random negative), ties counting half (Mann-Whitney U / n1 n2)."""
    if not positives or not negatives:
        return 0.0
    labelled = sorted([(s, 1) for s in positives] + [(s, 0) for s in negatives])
    rank_sum, index = 0.0, 0
    while index < len(labelled):
        end = index
        while end + 1 < len(labelled) and labelled[end + 1][0] == labelled[index][0]:
            end += 1
        average_rank = (index + end) / 2 + 1  # ranks are 1-based, ties share their mean rank
        rank_sum += average_rank * sum(1 for k in range(index, end + 1) if labelled[k][1] == 1)
        index = end + 1
    n_pos, n_neg = len(positives), len(negatives)
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
