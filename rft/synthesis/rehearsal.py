"""Rehearse a grader before training: right answers must score high, corrupted answers low.

For each dataset row we build a response that should earn full reward (from the reference answer)
and corrupted ones that should not, grade them all with the real grader, and measure how well the
scores separate the two groups: the gap between their means and an AUC (the chance that a random
right answer outscores a random corrupted one, ties counting half). A grader that cannot tell them
apart would train the model on noise, or teach it to cheat.

Corruptions per grader:
- math: ``wrong_answer`` (another number), ``no_answer`` (no final answer), ``hedged`` (several boxed
  candidates with the right one last, which a naive "last box wins" grader rewards);
- format: ``violated`` (a response that breaks the row's IFEval constraints);
- judge: ``unrelated`` (another row's reference answer), ``refusal``;
- composite: the cases of the grader family each row belongs to;
- code: ``fails_one_test``, ``does_not_compile``, ``never_ends``; tools: ``wrong_name``, ``wrong_argument``
  (each grader's own ``rows.reference_response`` and ``rows.corruptions``).
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from graders.catalog import COMPOSITE_DEFAULT_GRADERS  # graders.composite's default when unconfigured
from graders.format_rules.constraints import decoded_field

from ..rows import Row
from .format_synthesis import compliant_response
from .format_violation import violating_response

REFERENCE = "reference"


@dataclass(frozen=True)
class Case:
    row: Row
    kind: str  # REFERENCE or the corruption's name
    response: str

    @property
    def is_reference(self) -> bool:
        return self.kind == REFERENCE

    @property
    def item_id(self) -> str:
        return f"{self.row.id}#{self.kind}"


@dataclass(frozen=True)
class Skipped:
    row: Row
    reason: str


def build_cases(
    rows: Sequence[Row], grader: str, *, env: Mapping[str, str] | None = None
) -> tuple[list[Case], list[Skipped]]:
    env = os.environ if env is None else env
    default_constraints = _json_object(env.get("FORMAT_DEFAULT_CONSTRAINTS"))
    composite_defaults = _json_list(env.get("COMPOSITE_DEFAULT_GRADERS")) or COMPOSITE_DEFAULT_GRADERS
    references = [r.data.get("reference_answer") for r in rows]
    judge_pool = [(i, a) for i, a in enumerate(references) if isinstance(a, str) and a.strip()]
    cases: list[Case] = []
    skipped: list[Skipped] = []
    for index, row in enumerate(rows):
        family = grader if grader != "composite" else _composite_family(row, composite_defaults)
        if family == "math":
            built = math_cases(row)
        elif family == "format":
            built = format_cases(row, default_constraints)
        elif family == "judge":
            built = judge_cases(row, _other_reference(judge_pool, index))
        elif family in ROWS_MODULES:  # code, tools (issue 13)
            built = row_module_cases(row, family)
        else:
            built = "the row names no grader this rehearsal can build answers for"
        if isinstance(built, str):
            skipped.append(Skipped(row, built))
        else:
            cases.extend(built)
    return cases, skipped


# -- why a reference answer scored low ----------------------------------------------------------------
# Metrics where 1 (or any count above 0) marks a problem: listed as "flagged" when set.
FLAG_METRICS = frozenset(
    {
        "grader_error",
        "malformed",
        "configuration_error",
        "no_constraints",
        "hedged",
        "unverifiable",
        "judge_error",
        "timed_out",
        "timeout",
        "error",
        "injection_detected",
        "verdict_unusable",
        "memory_exceeded",
        "crashed",
        "output_exceeded",
        "missing_calls",
        "extra_calls",
        "unknown_tools",
    }
)
# Metrics that describe the grading rather than pass or fail (usage, weights, scores shown as values).
INFO_METRICS = frozenset(
    {
        "neutral",
        "symbolic_check",
        "injection_penalty",
        "input_tokens",
        "output_tokens",
        "calls",
        "throttled",
        "server_errors",
        "verdict_retries",
        "raw_score",
        "tests_run",
        "weight",
    }
)
SCORE_METRICS = frozenset({"judge_score"})  # a score of its own, shown with its value
MAX_REASON_CHARS = 160
MAX_NAMES_SHOWN = 6


def low_score_details(metrics: Mapping[str, Any], reason: str | None = None) -> str:
    """Why an answer scored low, from its ``metrics_list`` and the grader's logged reason.

    ``failed: change_case:english_lowercase`` (a pass/fail check at 0; a partial one with its value),
    ``flagged: hedged`` (a problem flag that is set), ``judge_score 0.20``, then the reason when short.
    Composite metrics (``format.punctuation:no_comma``) are judged by their last part."""
    failed, flagged, scores = [], [], []
    for name, raw in metrics.items():
        try:
            value = float(raw)
        except (TypeError, ValueError):
            continue
        base = str(name).rsplit(".", 1)[-1]
        if base in SCORE_METRICS:
            scores.append(f"{name} {value:.2f}")
        elif base in FLAG_METRICS:
            if value > 0:
                flagged.append(str(name) if value == 1 else f"{name} {value:g}")
        elif base not in INFO_METRICS and 0 <= value < 1:
            failed.append(str(name) if value == 0 else f"{name} {value:.2f}")
    parts = []
    for label, names in (("failed", failed), ("flagged", flagged)):
        if names:
            shown = ", ".join(names[:MAX_NAMES_SHOWN])
            more = f" and {len(names) - MAX_NAMES_SHOWN} more" if len(names) > MAX_NAMES_SHOWN else ""
            parts.append(f"{label}: {shown}{more}")
    parts += scores
    if reason and reason.strip():
        text = " ".join(reason.split())
        if len(text) > MAX_REASON_CHARS:
            text = text[: MAX_REASON_CHARS - 3].rstrip() + "..."
        parts.append(f"grader: {text}")
    return "; ".join(parts)


# -- code and tools (issue 13) ---------------------------------------------------------------------
ROWS_MODULES = {"code": "graders.code_exec.rows", "tools": "graders.tool_calls.rows"}


def row_module_cases(row: Row, family: str) -> list[Case] | str:
    """The grader's own right answer and corruptions for the row (``rows.reference_response``/``corruptions``)."""
    rows = importlib.import_module(ROWS_MODULES[family])
    try:
        reference = rows.reference_response(row.data)
        corrupted = rows.corruptions(row.data) if reference else {}
    except Exception as exc:  # a row the grader cannot read is skipped with the reason, like the others
        return f"the {family} grader cannot build answers for it: {exc}"
    if not reference:
        return "no reference program to build a right answer from"
    return [Case(row, REFERENCE, reference)] + [Case(row, kind, text) for kind, text in corrupted.items()]


# -- math ------------------------------------------------------------------------------------------
def math_cases(row: Row) -> list[Case] | str:
    reference = row.data.get("reference_answer")
    if isinstance(reference, bool) or not isinstance(reference, (str, int, float)) or not str(reference).strip():
        return "no number or string reference_answer to build a right answer from"
    reference = str(reference).strip()
    wrong = wrong_answer(reference)
    boxed = "\\boxed" in _prompt_text(row)

    def final(value: str) -> str:
        return f"\\boxed{{{value}}}" if boxed else f"#### {value}"

    wrong_2 = wrong_answer(wrong)
    return [
        Case(row, REFERENCE, f"Working through the problem step by step gives {reference}.\n{final(reference)}"),
        Case(row, "wrong_answer", f"Working through the problem step by step gives {wrong}.\n{final(wrong)}"),
        Case(row, "no_answer", "I worked through the problem but I am not sure what the result is."),
        Case(row, "hedged", f"It is one of these: \\boxed{{{wrong}}} \\boxed{{{wrong_2}}} \\boxed{{{reference}}}"),
    ]


def wrong_answer(reference: str) -> str:
    """A different value in the same style: integers move by about 10%, other numbers double."""
    text = reference.replace(",", "").replace("$", "").strip()
    try:
        value = Fraction(text)
    except (ValueError, ZeroDivisionError):
        return f"{reference} + 1"
    if value.denominator == 1:
        return str(value.numerator + 1 + abs(value.numerator) // 10)
    return _decimal(value * 2 + 1)


def _decimal(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    return f"{float(value):.6f}".rstrip("0").rstrip(".")


# -- format ----------------------------------------------------------------------------------------
def format_cases(row: Row, default_constraints: Mapping[str, Any] | None) -> list[Case] | str:
    ids, kwargs = ifeval_constraints(row.data)
    if ids is None and default_constraints and isinstance(default_constraints.get("instruction_id_list"), list):
        ids, kwargs = default_constraints["instruction_id_list"], default_constraints.get("kwargs")
    if ids is None:
        return "no IFEval constraints (instruction_id_list) to build answers for; structured checks are not rehearsed"
    given_topic = row.data.get("topic")
    topic = given_topic if isinstance(given_topic, str) else "the question"
    reference = row.data.get("reference_answer")
    if not (isinstance(reference, str) and reference.strip()):
        reference = compliant_response(ids, kwargs, topic=topic)
    if reference is None:
        return f"cannot build a compliant response for {', '.join(map(str, ids))}"
    return [Case(row, REFERENCE, reference), Case(row, "violated", violating_response(ids, kwargs, topic=topic))]


def ifeval_constraints(data: Mapping[str, Any]) -> tuple[list[str] | None, list[Any] | None]:
    """The row's IFEval instructions and kwargs, read as the format grader reads them: from the row,
    else from an object reference_answer; ``instruction_id_list`` + ``kwargs`` and ``constraints``
    entries with an ``instruction_id``; fields possibly written as JSON strings. ``(None, None)`` when
    there are none, or when structured checks (json, regex, ...) are among them: those rows are not
    rehearsed."""
    reference = data.get("reference_answer")
    for source in (data, reference if isinstance(reference, Mapping) else {}):
        ids = decoded_field(source.get("instruction_id_list"))
        kwargs = decoded_field(source.get("kwargs"))
        entries = decoded_field(source.get("constraints"))
        found_ids: list[str] = []
        found_kwargs: list[Any] = []
        if isinstance(ids, list) and ids and all(isinstance(i, str) for i in ids):
            found_ids += ids
            found_kwargs += kwargs if isinstance(kwargs, list) and len(kwargs) == len(ids) else [{}] * len(ids)
        if isinstance(entries, Mapping):
            entries = [entries]
        if isinstance(entries, list):
            for entry in entries:
                if not (isinstance(entry, Mapping) and isinstance(entry.get("instruction_id"), str)):
                    return None, None
                found_ids.append(entry["instruction_id"])
                found_kwargs.append(entry.get("kwargs") or {})
        if found_ids:
            return found_ids, found_kwargs
    return None, None


# -- judge -----------------------------------------------------------------------------------------
def judge_cases(row: Row, other_reference: str | None) -> list[Case] | str:
    reference = row.data.get("reference_answer")
    if not (isinstance(reference, str) and reference.strip()):
        return "no text reference_answer to use as the right answer"
    cases = [Case(row, REFERENCE, reference), Case(row, "refusal", "I cannot help with that.")]
    if other_reference is not None and other_reference.strip() != reference.strip():
        cases.append(Case(row, "unrelated", other_reference))
    return cases


def _other_reference(pool: list[tuple[int, str]], index: int) -> str | None:
    """The next row's reference answer (wrapping around), as an off-topic answer."""
    if len(pool) < 2:
        return None
    for position, (row_index, _) in enumerate(pool):
        if row_index == index:
            return pool[(position + 1) % len(pool)][1]
    return pool[0][1]


# -- composite -------------------------------------------------------------------------------------
def _composite_family(row: Row, defaults: Sequence[str]) -> str | None:
    named = row.data.get("graders")
    reference = row.data.get("reference_answer")
    if named is None and isinstance(reference, Mapping):
        named = reference.get("graders")
    graders = [str(g).strip().lower() for g in named] if isinstance(named, list) else list(defaults)
    if "format" in graders and ifeval_constraints(row.data)[0] is not None:
        return "format"
    for family in ROWS_MODULES:  # code, tools: where the grader can use the row (its rows.needs_problem)
        if family in graders and importlib.import_module(ROWS_MODULES[family]).needs_problem(row.data) is None:
            return family
    if "math" in graders and isinstance(reference, (str, int, float)) and not isinstance(reference, bool):
        return "math"
    if "judge" in graders:
        return "judge"
    return None


def _prompt_text(row: Row) -> str:
    messages = row.data.get("messages")
    if not isinstance(messages, list):
        return ""
    parts = []
    for message in messages:
        content = message.get("content") if isinstance(message, Mapping) else None
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            parts += [b.get("text", "") for b in content if isinstance(b, Mapping) and isinstance(b.get("text"), str)]
    return "\n".join(parts)


def _json_object(raw: str | None) -> dict[str, Any] | None:
    try:
        value = json.loads(raw) if raw else None
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _json_list(raw: str | None) -> list[str] | None:
    try:
        value = json.loads(raw) if raw else None
    except ValueError:
        return None
    return [str(v) for v in value] if isinstance(value, list) else None
