"""The format grader: the share of a row's format constraints that the response meets.

Each constraint gives one ``Metric`` named by its id (``detectable_format:title``, ``regex``;
a repeated id gets ``#2``, ``#3``...) worth 1.0 or 0.0. The reward is the fraction met, or
1.0 only when all are met (``all_or_nothing``). IFEval instructions are checked strictly by
default, or in IFEval's loose mode; structured checks are always strict. A constraint that
cannot be checked scores 0 and its reason is logged; nothing here raises on a bad row.
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..contract import Grade, Sample, final_answer, zero
from .arguments import CheckError, RowContext
from .constraints import SPEC_FIELDS, Constraint, build_constraints, spec_from_fields
from .variants import response_variants

LOGGER = logging.getLogger("graders.format")

FRACTION = "fraction"
ALL_OR_NOTHING = "all_or_nothing"
SCORING_MODES = (FRACTION, ALL_OR_NOTHING)


@dataclass(frozen=True)
class FormatSettings:
    """How the format grader scores; built from the ``FORMAT_*`` environment variables."""

    scoring: str = FRACTION
    loose: bool = False
    default_constraints: Mapping[str, Any] | None = field(default=None)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> FormatSettings:
        """Read ``FORMAT_SCORING``, ``FORMAT_LOOSE`` and ``FORMAT_DEFAULT_CONSTRAINTS``.

        A value that cannot be understood raises ``ValueError``: it is a deployment
        mistake, better stopped at the first invocation than trained on silently.
        """
        scoring = environ.get("FORMAT_SCORING", "").strip() or FRACTION
        loose_text = environ.get("FORMAT_LOOSE", "").strip().lower() or "false"
        if loose_text not in ("true", "false", "1", "0", "yes", "no"):
            raise ValueError(f"FORMAT_LOOSE must be true or false, got {loose_text!r}")
        defaults_text = environ.get("FORMAT_DEFAULT_CONSTRAINTS", "").strip()
        defaults = None
        if defaults_text:
            try:
                defaults = json.loads(defaults_text)
            except ValueError as exc:
                raise ValueError(f"FORMAT_DEFAULT_CONSTRAINTS is not JSON: {exc}") from None
        return cls(scoring=scoring, loose=loose_text in ("true", "1", "yes"), default_constraints=defaults)


def unique_names(names: Iterable[str]) -> list[str]:
    """Names with repeats suffixed: ``a``, ``a#2``, ``a#3``."""
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
    return unique


def constraint_fields(metadata: Mapping[str, Any], reference_answer: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """A row's constraint fields as the grader finds them, and where each came from.

    Each field is read from the row (Bedrock's ``metadata``) first, then from an object
    reference_answer (as ``Sample.field`` does); a row with none of them may hold them in a
    reference_answer that is a JSON object written as text. The origin is a prefix for messages:
    ``""``, ``"reference_answer."`` or ``"reference_answer(JSON text)."``.
    """
    reference = reference_answer if isinstance(reference_answer, Mapping) else {}
    fields: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for name in SPEC_FIELDS:
        if name in metadata:
            fields[name], origins[name] = metadata[name], ""
        elif name in reference:
            fields[name], origins[name] = reference[name], "reference_answer."
    if (
        all(value is None for value in fields.values())
        and isinstance(reference_answer, str)
        and reference_answer.strip().startswith("{")
    ):
        try:
            decoded = json.loads(reference_answer)
        except ValueError:
            decoded = None
        if isinstance(decoded, Mapping):
            fields = {name: decoded.get(name) for name in SPEC_FIELDS}
            origins = dict.fromkeys(SPEC_FIELDS, "reference_answer(JSON text).")
    return fields, origins


class _ConstraintCache:
    """Built constraints by (spec, prompt): each prompt is sampled several times per step,
    so the same spec is validated once instead of once per sample. Checks are pure
    functions of the response, so sharing them is safe."""

    def __init__(self, *, capacity: int = 2048) -> None:
        self._capacity = capacity
        self._entries: OrderedDict[tuple[str, str], list[Constraint]] = OrderedDict()

    def get(self, spec: Mapping[str, Any], context: RowContext) -> list[Constraint]:
        if not self._capacity:
            return build_constraints(spec, context)
        # repr is cheaper than JSON and, for JSON-shaped values, equal only for equal specs.
        key = (repr(spec), context.last_user_prompt)
        constraints = self._entries.get(key)
        if constraints is None:
            constraints = build_constraints(spec, context)
            self._entries[key] = constraints
            if len(self._entries) > self._capacity:
                self._entries.popitem(last=False)
        else:
            self._entries.move_to_end(key)
        return constraints


class FormatGrader:
    """Grades one sample against the format constraints of its row (or the defaults)."""

    def __init__(
        self,
        *,
        scoring: str = FRACTION,
        loose: bool = False,
        default_constraints: Mapping[str, Any] | None = None,
        constraint_cache_size: int = 2048,
    ) -> None:
        if scoring not in SCORING_MODES:
            raise ValueError(f"scoring must be one of {SCORING_MODES}, got {scoring!r}")
        self.scoring = scoring
        self.loose = loose
        self._cache = _ConstraintCache(capacity=constraint_cache_size)
        self.default_spec = None
        if default_constraints is not None:
            if not isinstance(default_constraints, Mapping):
                raise ValueError(
                    'default constraints must be an object such as {"instruction_id_list": [...], "kwargs": [...]}'
                )
            self.default_spec = spec_from_fields(default_constraints)
            if self.default_spec is None:
                raise ValueError(f"default constraints name none of {SPEC_FIELDS}")

    @classmethod
    def from_settings(cls, settings: FormatSettings) -> FormatGrader:
        return cls(scoring=settings.scoring, loose=settings.loose, default_constraints=settings.default_constraints)

    def __call__(self, sample: Sample) -> Grade:
        spec = spec_from_fields(constraint_fields(sample.metadata, sample.reference_answer)[0]) or self.default_spec
        if spec is None:
            return zero("the row has no format constraints and no default is configured", no_constraints=1.0)
        constraints = self._cache.get(spec, RowContext(last_user_prompt=sample.last_user_prompt))
        if not constraints:
            return zero("the row's constraint lists are empty", no_constraints=1.0)
        return self.grade_response(sample.response, constraints)

    def grade_response(self, response: str, constraints: list[Constraint]) -> Grade:
        # The reasoning is not the answer: "no commas" or "under 50 words" is about what follows it.
        answer = final_answer(response)
        variants = response_variants(answer, loose=self.loose)
        outcomes: list[float] = []
        problems: list[str] = []
        for constraint in constraints:
            passed, problem = self._check(constraint, response if constraint.whole_response else answer, variants)
            outcomes.append(1.0 if passed else 0.0)
            if problem:
                problems.append(f"{constraint.name}: {problem}")
        metrics = dict(zip(unique_names(c.name for c in constraints), outcomes))
        if self.scoring == ALL_OR_NOTHING:
            score = 1.0 if all(outcomes) else 0.0
        else:
            score = sum(outcomes) / len(outcomes)
        return Grade(score=score, metrics=metrics, reason="; ".join(problems) or None)

    @staticmethod
    def _check(constraint: Constraint, response: str, variants: tuple[str, ...]) -> tuple[bool, str | None]:
        if constraint.check is None:
            return False, constraint.error
        try:
            if constraint.ifeval:
                # IFEval: an empty response follows no instruction.
                return any(text.strip() and constraint.check(text) for text in variants), None
            return bool(constraint.check(response)), None
        except CheckError as exc:
            return False, str(exc)
        except Exception as exc:  # a checker bug must cost one constraint, not the batch
            LOGGER.exception("format check %s raised", constraint.name)
            return False, f"check failed: {type(exc).__name__}: {exc}"
