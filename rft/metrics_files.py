"""Reading training-metric files from an RFT job's output prefix, whatever their exact shape.

AWS does not document what an RFT job writes under ``outputDataConfig.s3Uri`` (the console shows
``critic/rewards/mean``, ``val-score/rewards/mean@1``, ``actor/entropy``, ...). We therefore accept
any CSV, JSON or JSONL file holding per-step records and keep the numeric columns:

- CSV with a header row;
- JSONL, one record per line;
- JSON: a list of records, an object holding such a list under any key, a column object
  (``{"step": [...], "critic/rewards/mean": [...]}``) or an object keyed by step.

Nested objects are flattened with ``/`` (``{"critic": {"rewards": {"mean": 1}}}`` gives
``critic/rewards/mean``). The step comes from a column named ``step``, ``global_step``,
``training_step``, ``iteration`` or ``epoch`` (any case), else from the record's position.
Files that hold no numeric records are ignored.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

SUFFIXES = (".csv", ".json", ".jsonl")
STEP_KEYS = ("step", "global_step", "training_step", "train_step", "iteration", "iter", "epoch")
Record = dict[str, float]


def is_metrics_candidate(key: str) -> bool:
    return key.lower().endswith(SUFFIXES)


def parse_metrics_file(name: str, data: bytes) -> list[Record]:
    """Per-step numeric records (each with a ``step``), or [] when the file holds none."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return []
    lowered = name.lower()
    try:
        if lowered.endswith(".csv"):
            raw = list(csv.DictReader(io.StringIO(text)))
        elif lowered.endswith(".jsonl"):
            raw = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            raw = _records_from_json(json.loads(text))
    except (ValueError, csv.Error):
        return []
    return _with_steps([_numeric(_flatten(r)) for r in raw if isinstance(r, Mapping)])


def _records_from_json(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    if not isinstance(value, Mapping):
        return []
    for item in value.values():  # {"metrics": [...]} and the like
        if isinstance(item, list) and item and all(isinstance(r, Mapping) for r in item):
            return item
    columns = {k: v for k, v in value.items() if isinstance(v, list)}
    lengths = {len(v) for v in columns.values()}
    if columns and len(lengths) == 1:  # column form
        size = lengths.pop()
        return [{k: v[i] for k, v in columns.items()} for i in range(size)]
    if value and all(_number(k) is not None and isinstance(v, Mapping) for k, v in value.items()):
        return [{"step": k, **v} for k, v in value.items()]  # keyed by step
    # A lone object is a summary (hyperparameters, a manifest) unless it names its step.
    return [value] if any(str(k).lower() in STEP_KEYS for k in value) else []


def _flatten(record: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{name}/"))
        else:
            flat[name] = value
    return flat


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _numeric(record: Mapping[str, Any]) -> Record:
    return {k: n for k, v in record.items() if k and (n := _number(v)) is not None}


def _with_steps(records: list[Record]) -> list[Record]:
    records = [r for r in records if r]
    if not records:
        return []
    step_key = next((k for k in records[0] if k.lower() in STEP_KEYS), None)
    out = []
    for position, record in enumerate(records, start=1):
        step = record.pop(step_key, None) if step_key else None
        if record:
            out.append({"step": float(position if step is None else step), **record})
    return out


def merge(record_sets: Iterable[list[Record]]) -> list[Record]:
    """One record per step, columns from every file, in step order."""
    by_step: dict[float, Record] = {}
    for records in record_sets:
        for record in records:
            by_step.setdefault(record["step"], {"step": record["step"]}).update(record)
    return [by_step[s] for s in sorted(by_step)]


def columns(records: Iterable[Record]) -> list[str]:
    seen: dict[str, None] = {}
    for record in records:
        for key in record:
            if key != "step":
                seen.setdefault(key, None)
    return list(seen)


def reward_columns(names: Iterable[str]) -> list[str]:
    """Columns that measure reward: 'critic/rewards/mean', 'val-score/rewards/mean@1', 'reward', 'score'."""
    return [n for n in names if "reward" in n.lower() or "score" in n.lower()]


LOWER_IS_BETTER = ("loss", "perplexity")  # name parts of metrics a run minimises
HIGHER_IS_BETTER = ("reward", "score", "accuracy")  # name parts of metrics a run maximises
HIGHER_IS_BETTER_WORDS = ("acc", "correct", "pass")  # whole words only ("acc" is not "accumulated")


def metric_goal(name: str) -> str | None:
    """``"max"`` for rewards, scores and accuracies, ``"min"`` for losses, None for the rest (entropy,
    response length, KL, gradient norm, learning rate: neither direction is "better")."""
    lowered = name.lower()
    if any(part in lowered for part in LOWER_IS_BETTER):
        return "min"
    words = re.split(r"[^a-z0-9]+", lowered)
    if any(part in lowered for part in HIGHER_IS_BETTER) or any(w in HIGHER_IS_BETTER_WORDS for w in words):
        return "max"
    return None
