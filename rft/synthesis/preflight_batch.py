"""The preflight's rehearsal batch, built at synth by the same case builder as ``rft rehearse``.

A bounded sample of rows gives one reference case and each corruption kind per row, and every case
is sent in both payload shapes AWS documents: ``reference_answer`` under ``metadata`` (the Bedrock
guide) and at the top level of the item (the SageMaker/Nova guide and AWS samples; see the contract
reference, D1 vs D9). The deployed grader must score both the same way. Other dataset fields stay
under ``metadata`` in both: no AWS document sends them at the top level (moving them too makes the
format grader miss its constraints, which is how a grader reads them today).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..local_grading import batch_item
from ..rows import read_rows
from .rehearsal import build_cases

DEFAULT_SAMPLE_ROWS = 32
SHAPES = ("metadata", "top_level")


def top_level_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """The same sample with ``reference_answer`` beside ``id`` and ``messages`` instead of in ``metadata``."""
    metadata = dict(item.get("metadata") or {})
    flat: dict[str, Any] = {"id": item["id"], "messages": item["messages"], "metadata": metadata}
    if "reference_answer" in metadata:
        flat["reference_answer"] = metadata.pop("reference_answer")
    return flat


# Cases that spend the grader's whole time limit on purpose (a program that never ends): a few prove that the
# limit holds and scores 0; one per sampled row would make the code grader's preflight take minutes.
BOUNDED_CASES = {"never_ends": 4}


def build_preflight_batch(
    dataset: str | Path, grader: str, *, sample_rows: int = DEFAULT_SAMPLE_ROWS, env: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """``{"grader", "items": [...], "kinds": [...], "shapes": [...], "skipped": n}``, aligned lists."""
    rows = read_rows(dataset)[: max(1, sample_rows)]
    cases, skipped = build_cases(rows, grader, env=env or {})
    seen: dict[str, int] = {}
    kept = []
    for case in cases:
        seen[case.kind] = seen.get(case.kind, 0) + 1
        if seen[case.kind] <= BOUNDED_CASES.get(case.kind, len(cases)):
            kept.append(case)
    cases = kept
    items: list[dict[str, Any]] = []
    kinds: list[str] = []
    shapes: list[str] = []
    for case in cases:
        nested = batch_item(case.row, case.response, item_id=f"{case.item_id}@metadata")
        flat = top_level_item({**nested, "id": f"{case.item_id}@top_level"})
        for shape, item in zip(SHAPES, (nested, flat)):
            items.append(item)
            kinds.append(case.kind)
            shapes.append(shape)
    return {
        "grader": grader,
        "dataset": Path(dataset).name,
        "items": items,
        "kinds": kinds,
        "shapes": shapes,
        "rows": len(rows),
        "skipped": len(skipped),
    }


def batch_hash(batch: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(batch, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]
