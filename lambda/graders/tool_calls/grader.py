"""The tool-call grader: partial credit per call, optimal order-insensitive matching, schema checks.

How a call is scored, and why. For an agent a call with one wrong argument value is a wrong call: it books the
wrong flight, converts the wrong amount, fetches the weather of the wrong city. A purely additive partial credit
(name 0.2 + argument names 0.3 + values 0.4 + schema 0.1) gave such a call 0.8-0.9, so the policy would learn
almost nothing from getting a value wrong, and ``rft rehearse`` could not tell it from the right call (mean gap
0.16 on the shipped tools dataset). So the score of a call is in two tiers:

- a **right call** (same name, every reference argument present with an equal value, no argument the reference
  does not have) scores its full weighted credit, 1 when it is also schema-valid;
- any **other call to the right function** scores its weighted partial credit times ``wrong_call_credit``
  (``TOOLS_WRONG_CALL_CREDIT``, default 0.5), so it stays strictly below every right call;
- a call to **another function** scores 0.

The weighted parts still order the wrong calls, so partial credit stays informative where it should:
right name and argument names with one wrong value (0.4-0.45) > right name and argument names with every value
wrong (0.3) > right name only (0.1) > wrong name (0). ``wrong_call_credit=1`` restores the additive score.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

from graders.contract import Grade, Sample

from .calls import Call, answer_calls, reference_calls, tool_schemas

GRADER = "tools"
PARTS = ("name", "argument_names", "argument_values", "schema_valid")
DEFAULT_WEIGHTS = {"name": 0.2, "argument_names": 0.3, "argument_values": 0.4, "schema_valid": 0.1}
DEFAULT_WRONG_CALL_CREDIT = 0.5  # share of its credit a call that is not right keeps
REL_TOL = 1e-6


@dataclass(frozen=True)
class ToolSettings:
    ordered: bool = False  # calls must come in the reference order (TOOLS_ORDERED)
    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    wrong_call_credit: float = DEFAULT_WRONG_CALL_CREDIT  # TOOLS_WRONG_CALL_CREDIT, in [0, 1]

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> ToolSettings:
        ordered = environ.get("TOOLS_ORDERED", "false").strip().lower()
        if ordered not in ("true", "false", "1", "0", "yes", "no", ""):
            raise ValueError(f"TOOLS_ORDERED={ordered!r}: use true or false")
        weights = dict(DEFAULT_WEIGHTS)
        raw = environ.get("TOOLS_WEIGHTS", "").strip()
        if raw:
            for part in raw.split(","):
                key, _, value = part.partition("=")
                key = key.strip()
                if key not in DEFAULT_WEIGHTS:
                    raise ValueError(f"TOOLS_WEIGHTS: unknown part {key!r} (use {', '.join(PARTS)})")
                try:
                    weights[key] = float(value)
                except ValueError:
                    raise ValueError(f"TOOLS_WEIGHTS: {part!r} is not name=number") from None
                if not 0 <= weights[key] <= 1:
                    raise ValueError(f"TOOLS_WEIGHTS: {key} must be in [0, 1]")
        if sum(weights.values()) <= 0:
            raise ValueError("TOOLS_WEIGHTS: the weights sum to 0")
        raw_credit = environ.get("TOOLS_WRONG_CALL_CREDIT", "").strip()
        try:
            credit = float(raw_credit) if raw_credit else DEFAULT_WRONG_CALL_CREDIT
        except ValueError:
            raise ValueError(f"TOOLS_WRONG_CALL_CREDIT={raw_credit!r} is not a number") from None
        if not 0 <= credit <= 1:
            raise ValueError(f"TOOLS_WRONG_CALL_CREDIT={raw_credit!r} must be in [0, 1]")
        return cls(ordered=ordered in ("true", "1", "yes"), weights=weights, wrong_call_credit=credit)


# --- values ----------------------------------------------------------------------------------------------------


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            number = float(value.strip().replace(",", "")) if value.strip() else None
        except ValueError:
            return None
        return number if number is not None and math.isfinite(number) else None
    return None


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def same_value(expected: Any, actual: Any, schema: Mapping[str, Any] | None = None, depth: int = 0) -> bool:
    """Equal with sensible coercion: ``"5"`` == 5, ``"true"`` == True, enum strings case-insensitive per schema,
    strings compared after trimming; objects and lists recursively (lists in order)."""
    schema = schema if isinstance(schema, Mapping) else {}
    if depth > 32:
        return False
    if isinstance(expected, bool) or isinstance(actual, bool):
        return _bool(expected) is not None and _bool(expected) == _bool(actual)
    left, right = _number(expected), _number(actual)
    typed = isinstance(expected, (int, float)) or isinstance(actual, (int, float))
    if left is not None and right is not None and (typed or schema.get("type") in ("number", "integer")):
        return math.isclose(left, right, rel_tol=REL_TOL, abs_tol=1e-9)
    if isinstance(expected, str) and isinstance(actual, str):
        if expected.strip() == actual.strip():
            return True
        enum = schema.get("enum")
        return (
            isinstance(enum, list)
            and expected.strip().casefold() == actual.strip().casefold()
            and any(isinstance(e, str) and e.casefold() == expected.strip().casefold() for e in enum)
        )
    if isinstance(expected, Mapping) and isinstance(actual, Mapping):
        properties = schema.get("properties")
        props = properties if isinstance(properties, Mapping) else {}
        return set(expected) == set(actual) and all(
            same_value(expected[k], actual[k], props.get(k), depth + 1) for k in expected
        )
    if isinstance(expected, list) and isinstance(actual, list):
        items = schema.get("items") if isinstance(schema.get("items"), Mapping) else {}
        return len(expected) == len(actual) and all(
            same_value(e, a, items, depth + 1) for e, a in zip(expected, actual)
        )
    return expected is None and actual is None


def coerce(value: Any, schema: Mapping[str, Any] | None, depth: int = 0) -> Any:
    """The value as the schema means it, for validation: enum strings in the schema's case, numeric and boolean
    strings as numbers and booleans where the schema types them so (the same coercion ``same_value`` allows)."""
    if not isinstance(schema, Mapping) or depth > 32:
        return value
    kind = schema.get("type")
    if isinstance(value, str):
        enum = schema.get("enum")
        if isinstance(enum, list):
            for option in enum:
                if isinstance(option, str) and option.casefold() == value.strip().casefold():
                    return option
        if kind in ("number", "integer") and _number(value) is not None:
            number = _number(value)
            return int(number) if kind == "integer" and number is not None and number.is_integer() else number
        if kind == "boolean" and _bool(value) is not None:
            return _bool(value)
        return value
    if isinstance(value, Mapping):
        properties = schema.get("properties")
        props = properties if isinstance(properties, Mapping) else {}
        return {k: coerce(v, props.get(k), depth + 1) for k, v in value.items()}
    if isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        return [coerce(v, schema["items"], depth + 1) for v in value]
    return value


@lru_cache(maxsize=256)
def _validator(schema_json: str) -> Any:
    import json

    from jsonschema.validators import validator_for

    schema = json.loads(schema_json)
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def schema_problem(arguments: Any, schema: Mapping[str, Any] | None) -> str | None:
    """Why ``arguments`` do not satisfy the tool's parameter schema (None when they do or there is none)."""
    if schema is None:
        return None
    import json

    try:
        validator = _validator(json.dumps(schema, sort_keys=True))
    except Exception:  # a broken schema in the row: not the answer's fault
        return None
    error = next(iter(validator.iter_errors(arguments)), None)
    return None if error is None else error.message[:200]


# --- one pair, and the matching --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PairScore:
    name: float
    argument_names: float
    argument_values: float
    schema_valid: float

    @property
    def right(self) -> bool:
        """The right function with exactly the reference's arguments and values: the call the agent should make."""
        return self.name == 1.0 and self.argument_names == 1.0 and self.argument_values == 1.0

    def total(self, weights: Mapping[str, float], wrong_call_credit: float = DEFAULT_WRONG_CALL_CREDIT) -> float:
        if not self.name:
            return 0.0  # arguments of another function earn nothing
        partial = float(sum(weights[p] * getattr(self, p) for p in PARTS) / sum(weights.values()))
        return partial if self.right else wrong_call_credit * partial


def score_pair(reference: Call, answer: Call, schemas: Mapping[str, Mapping[str, Any]]) -> PairScore:
    if reference.name != answer.name:
        return PairScore(0.0, 0.0, 0.0, 0.0)
    schema = schemas.get(reference.name)
    expected = reference.arguments if isinstance(reference.arguments, Mapping) else {}
    actual = answer.arguments if answer.arguments_ok and isinstance(answer.arguments, Mapping) else {}
    union = set(expected) | set(actual)
    names = len(set(expected) & set(actual)) / len(union) if union else 1.0
    props = schema.get("properties", {}) if isinstance(schema, Mapping) else {}
    props = props if isinstance(props, Mapping) else {}
    values = (
        sum(k in actual and same_value(v, actual[k], props.get(k)) for k, v in expected.items()) / len(expected)
        if expected
        else float(not actual)
    )
    valid = float(answer.arguments_ok and schema_problem(coerce(actual, schema), schema) is None)
    return PairScore(1.0, names, values, valid)


def best_assignment(matrix: list[list[float]]) -> tuple[float, list[tuple[int, int]]]:
    """Maximum-total matching of references (rows) to answers (columns), by DP over answer subsets."""
    rows, cols = len(matrix), len(matrix[0]) if matrix else 0
    if not rows or not cols:
        return 0.0, []

    @cache
    def solve(row: int, used: int) -> tuple[float, tuple[tuple[int, int], ...]]:
        if row == rows:
            return 0.0, ()
        best = solve(row + 1, used)  # this reference call unmatched
        for col in range(cols):
            if not used & (1 << col) and matrix[row][col] > 0:
                value, pairs = solve(row + 1, used | (1 << col))
                if value + matrix[row][col] > best[0]:
                    best = (value + matrix[row][col], ((row, col),) + pairs)
        return best

    total, pairs = solve(0, 0)
    return total, list(pairs)


class ToolCallGrader:
    def __init__(self, settings: ToolSettings | None = None) -> None:
        self.settings = settings or ToolSettings()

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> ToolCallGrader:
        return cls(ToolSettings.from_environment(environ))

    def __call__(self, sample: Sample) -> Grade:
        return self.grade(sample)

    def grade(self, sample: Sample) -> Grade:
        references = reference_calls(sample)
        schemas = tool_schemas(sample)
        answers, source = answer_calls(sample)
        answers = answers[: len(references) + 8]
        metrics: dict[str, float] = {"calls_found": float(bool(answers))}
        if not references:
            score = float(not answers)
            metrics.update(missing_calls=0.0, extra_calls=float(len(answers)))
            return Grade(score=score, metrics=metrics, reason=None if score else "calls made where none was expected")
        weights = self.settings.weights
        pairs_scores = [[score_pair(r, a, schemas) for a in answers] for r in references]
        credit = self.settings.wrong_call_credit
        matrix = [[p.total(weights, credit) for p in row] for row in pairs_scores]
        if self.settings.ordered:
            pairs = [(i, i) for i in range(min(len(references), len(answers))) if matrix[i][i] > 0]
            total = sum(matrix[i][j] for i, j in pairs)
        else:
            total, pairs = best_assignment(matrix)
        denominator = max(len(references), len(answers))
        matched = [pairs_scores[i][j] for i, j in pairs]
        for part in PARTS:
            metrics[part] = sum(getattr(p, part) for p in matched) / len(references)
        metrics["right_calls"] = sum(p.right for p in matched) / len(references)
        metrics["missing_calls"] = float(len(references) - len(pairs))
        metrics["extra_calls"] = float(len(answers) - len(pairs))
        if schemas:
            metrics["unknown_tools"] = float(sum(a.name not in schemas for a in answers))
        score = total / denominator
        reason = None
        if score < 1:
            reason = (
                f"{len(pairs)}/{len(references)} reference calls matched, {metrics['extra_calls']:.0f} extra "
                f"(calls from {source})"
            )
        return Grade(score=score, metrics=metrics, reason=reason)
