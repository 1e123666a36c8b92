"""The composite grader: a weighted sum of the math, format, judge, code and tools graders, run in-process.

Bedrock takes one grader per job, so this is how one job gets a multi-dimensional reward. Each row
may name the graders that apply to it (``"graders": ["math", "judge"]`` in its metadata); rows
without that field get the configured default set. The weights of the graders that apply are
normalised to sum to 1, so the aggregate stays in [0, 1]. Each component's score is reported as a
``Reward`` entry named after it; its own metrics follow as ``Metric`` entries prefixed ``<name>.``.

Components are built on first use (lazy imports keep the cold start small) and run differently:
math, format, code and tools item by item on the main thread (the math grader's time limit needs it), the judge
as one concurrent batch on a background thread meanwhile. The judge gets a deadline a little earlier
than the batch's, so its grades are collected before the batch's own deadline, and the wait for it
never goes past that deadline. A component that fails, cannot be built or runs out of time scores 0
for that component with a reason; the item is still graded. The judge component follows the judge's
own rules: a failed judge call gives a neutral judge score, and a configuration error (no model
access, unknown or retired model) on every judged item of the batch fails the batch.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any

from graders.catalog import CATALOG, COMPOSITE_DEFAULT_GRADERS, COMPOSITE_DEFAULT_WEIGHTS
from graders.contract import (
    Deadline,
    Grade,
    GraderConfigurationError,
    ItemError,
    Result,
    Sample,
    run_batch,
    zero,
)

LOGGER = logging.getLogger("graders")

COMPONENTS = CATALOG["composite"].components  # math, format, judge, code, tools (the catalogue's one list)
BATCH_COMPONENT = "judge"  # graded as one concurrent batch; the others item by item
SELECTION_FIELD = "graders"
DEFAULT_WEIGHTS = dict(COMPOSITE_DEFAULT_WEIGHTS)
DEFAULT_GRADERS = COMPOSITE_DEFAULT_GRADERS
# The judge's deadline comes this much before the batch's, so that the grades it has when its own
# deadline passes reach the batch before the batch stops waiting for them.
JUDGE_LEAD_SECONDS = 0.25

# What the builders return: ``(sample) -> Grade`` for math and format, ``(samples, deadline) -> [Grade]``
# for the judge.
ItemGradeFn = Callable[[Sample], Grade]
BatchJudgeFn = Callable[[Sequence[Sample], Deadline], list[Grade]]


@dataclass(frozen=True)
class CompositeSettings:
    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    default_graders: tuple[str, ...] = DEFAULT_GRADERS
    format_defaults: bool = False  # the format component has default constraints for rows without any

    def __post_init__(self) -> None:
        for name, weight in self.weights.items():
            if name not in COMPONENTS:
                raise ValueError(f"COMPOSITE_WEIGHTS names unknown grader {name!r}; known: {', '.join(COMPONENTS)}")
            if (
                isinstance(weight, bool)
                or not isinstance(weight, (int, float))
                or not math.isfinite(weight)
                or weight < 0
            ):
                raise ValueError(f"COMPOSITE_WEIGHTS[{name!r}] must be a non-negative number, got {weight!r}")
        if not self.default_graders:
            raise ValueError("COMPOSITE_DEFAULT_GRADERS must name at least one grader")
        unknown = [name for name in self.default_graders if name not in COMPONENTS]
        if unknown:
            raise ValueError(f"COMPOSITE_DEFAULT_GRADERS names unknown graders {unknown}")


def settings_from_env(env: Mapping[str, str]) -> CompositeSettings:
    weights = _json_env(env, "COMPOSITE_WEIGHTS")
    defaults = _json_env(env, "COMPOSITE_DEFAULT_GRADERS")
    if weights is not None and not isinstance(weights, dict):
        raise ValueError('COMPOSITE_WEIGHTS must be a JSON object like {"math": 0.5, "judge": 0.5}')
    if defaults is not None and not (isinstance(defaults, list) and all(isinstance(n, str) for n in defaults)):
        raise ValueError("COMPOSITE_DEFAULT_GRADERS must be a JSON list of grader names")
    return CompositeSettings(
        weights=DEFAULT_WEIGHTS if weights is None else weights,
        default_graders=DEFAULT_GRADERS if defaults is None else tuple(dict.fromkeys(n.strip() for n in defaults)),
        format_defaults=bool(env.get("FORMAT_DEFAULT_CONSTRAINTS", "").strip()),
    )


def row_checks(settings: CompositeSettings) -> dict[str, Callable[[Sample], bool]]:
    """What the real components need from a row: a reference for math, constraints for format, tests the code
    grader can run for code, readable reference calls (and tools) for tools. The code and tools checks are the
    graders' own ``rows.needs_problem``, the rule ``rft validate`` reports (``rft.checks.grader_fields``)."""

    def math_applies(sample: Sample) -> bool:
        from graders.math_answer.reference import reference_answers, sample_reference

        try:  # a usable final answer, not an essay written as the reference of a prose prompt
            return bool(reference_answers(sample_reference(sample)))
        except ItemError:
            return False

    def format_applies(sample: Sample) -> bool:
        from graders.format_rules.constraints import spec_from_fields
        from graders.format_rules.grader import constraint_fields

        fields = constraint_fields(sample.metadata, sample.reference_answer)[0]
        return settings.format_defaults or spec_from_fields(fields) is not None

    def code_applies(sample: Sample) -> bool:
        from graders.code_exec.rows import needs_problem

        return needs_problem(sample) is None

    def tools_applies(sample: Sample) -> bool:
        from graders.tool_calls.rows import needs_problem

        return needs_problem(sample) is None

    return {"math": math_applies, "format": format_applies, "code": code_applies, "tools": tools_applies}


def _json_env(env: Mapping[str, str], name: str) -> Any:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise ValueError(f"{name} is not valid JSON: {raw!r}") from None


class _LazyComponent:
    """Builds a component on first use and remembers a failure to build it."""

    def __init__(self, name: str, build: Callable[[], Any]) -> None:
        self.name, self._build = name, build
        self._fn: Any = None
        self.error: str | None = None

    def get(self) -> Any:
        if self._fn is None and self.error is None:
            try:
                self._fn = self._build()
            except Exception as exc:  # missing module, bad settings: this component scores 0
                LOGGER.exception("composite could not build component %s", self.name)
                self.error = f"{self.name} grader unavailable: {type(exc).__name__}: {exc}"
        return self._fn


class CompositeGrader:
    """``builders`` map a component name to a zero-argument function returning its grade function;
    ``applies`` (optional) maps a component to whether a row carries what it needs."""

    def __init__(
        self,
        *,
        settings: CompositeSettings,
        builders: Mapping[str, Callable[[], ItemGradeFn | BatchJudgeFn]],
        applies: Mapping[str, Callable[[Sample], bool]] | None = None,
    ) -> None:
        self._settings = settings
        self._applies = dict(applies or {})
        self._components = {name: _LazyComponent(name, build) for name, build in builders.items()}

    def grade_batch(self, items: Sequence[Any], deadline: Deadline) -> list[Result]:
        """Raw batch items -> results in the same order, each echoing its id (the one batch loop)."""
        return run_batch(items, self.grade_samples, deadline, grader="composite")

    def grade_samples(self, samples: Sequence[Sample], deadline: Deadline) -> list[Grade]:
        """One grade per sample, in order: math and format item by item here, the judge meanwhile on a thread."""
        rows: list[tuple[tuple[str, ...], Grade | None, list[str]]] = []
        for sample in samples:
            try:
                selected, notes = self.selection(sample)
                rows.append((selected, None, notes))
            except ItemError as exc:
                rows.append(((), zero(f"malformed item: {exc}", malformed=1.0), []))
        judged = [index for index, row in enumerate(rows) if row[1] is None and BATCH_COMPONENT in row[0]]
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="composite-judge")
        try:
            judge_future = None
            if judged:
                judge_deadline = deadline.earlier(by=JUDGE_LEAD_SECONDS)
                judge_future = pool.submit(self._run_judge, [samples[i] for i in judged], judge_deadline)
            outcomes = [
                self._run_item_components(sample, selected, deadline) if early is None else {}
                for sample, (selected, early, _) in zip(samples, rows)
            ]
            for index, grade in zip(judged, self._await_judge(judge_future, len(judged), deadline)):
                outcomes[index][BATCH_COMPONENT] = grade
        finally:
            pool.shutdown(wait=False)  # never wait past the deadline for a judge that overran it
        return [
            early or self.combine({name: parts[name] for name in selected}, notes)
            for (selected, early, notes), parts in zip(rows, outcomes)
        ]

    def selection(self, sample: Sample) -> tuple[tuple[str, ...], list[str]]:
        """The graders that apply to a row, and notes about names it gave that are not graders."""
        value = sample.field(SELECTION_FIELD)
        if value is None:
            # Without a graders field, a default component applies only where the row carries what it
            # needs, so a compliant instruction row is not capped by a math part with nothing to grade.
            defaults = self._weighted(self._settings.default_graders)
            applicable = tuple(name for name in defaults if self.applies(name, sample))
            return applicable or defaults, []
        if isinstance(value, str):
            names = list(value.replace(";", ",").split(","))
        elif isinstance(value, (list, tuple)):
            names = [str(part) for part in value]
        else:
            raise ItemError(f"'{SELECTION_FIELD}' must be a list of grader names, got {type(value).__name__}")
        names = [name.strip().lower() for name in names if name.strip()]
        known = tuple(dict.fromkeys(name for name in names if name in COMPONENTS))
        unknown = [name for name in names if name not in COMPONENTS]
        if not known:
            raise ItemError(f"'{SELECTION_FIELD}' names no known grader ({names}); known: {', '.join(COMPONENTS)}")
        return self._weighted(known), [f"ignored unknown graders {unknown}"] if unknown else []

    def _weighted(self, names: tuple[str, ...]) -> tuple[str, ...]:
        """Drop graders whose weight is 0: they cannot change the aggregate and are never run (the one
        rule of ``graders.catalog.composite_calls_judge``, which IAM follows too). A row that names only
        such graders falls back to the weighted defaults."""
        weighted = tuple(name for name in names if self._settings.weights.get(name, 0.0) > 0)
        if weighted:
            return weighted
        defaults = tuple(n for n in self._settings.default_graders if self._settings.weights.get(n, 0.0) > 0)
        return defaults or tuple(n for n in COMPONENTS if self._settings.weights.get(n, 0.0) > 0)

    def applies(self, name: str, sample: Sample) -> bool:
        """Whether the row carries what component ``name`` needs (see :func:`row_checks`)."""
        check = self._applies.get(name)
        return True if check is None else bool(check(sample))

    def combine(self, parts: Mapping[str, Grade], notes: Sequence[str] = ()) -> Grade:
        """Weighted mean of the component scores, with weights normalised over the graders that apply."""
        weights = {name: float(self._settings.weights.get(name, 0.0)) for name in parts}
        total = sum(weights.values())
        if total <= 0:  # none of the applicable graders has weight: count them equally
            weights, total = dict.fromkeys(parts, 1.0), float(len(parts))
        score = 0.0
        rewards: dict[str, float] = {}
        metrics: dict[str, float] = {}
        reasons = list(notes)
        for name, grade in parts.items():
            component_score = _unit(grade.score)
            share = weights[name] / total
            score += share * component_score
            rewards[name] = component_score
            metrics[f"{name}.weight"] = share
            for key, value in {**grade.rewards, **grade.metrics}.items():
                metrics[f"{name}.{key}"] = value
            if grade.reason:
                reasons.append(f"{name}: {grade.reason}")
        return Grade(
            score=_unit(score), metrics=metrics, rewards=rewards, reason="; ".join(reasons) if reasons else None
        )

    def _run_item_components(self, sample: Sample, selected: Sequence[str], deadline: Deadline) -> dict[str, Grade]:
        parts: dict[str, Grade] = {}
        for name in selected:
            if name == BATCH_COMPONENT:
                continue
            component = self._component(name)
            if deadline.expired():
                parts[name] = zero("not graded: the Lambda's remaining time ran out", timed_out=1.0)
                continue
            grade_one = component.get() if component else None
            if grade_one is None:
                parts[name] = zero(_unavailable(name, component), error=1.0)
                continue
            try:
                parts[name] = grade_one(sample)
            except ItemError as exc:
                parts[name] = zero(f"cannot grade this item: {exc}", error=1.0)
            except Exception as exc:  # one component failing must not cost the others
                LOGGER.exception("composite component %s raised on item %s", name, sample.id)
                parts[name] = zero(f"{type(exc).__name__}: {exc}", error=1.0)
        return parts

    def _run_judge(self, samples: Sequence[Sample], deadline: Deadline) -> list[Grade]:
        component = self._component(BATCH_COMPONENT)
        judge = component.get() if component else None
        if judge is None:
            return [zero(_unavailable(BATCH_COMPONENT, component), error=1.0) for _ in samples]
        grades: list[Grade] = list(judge(samples, deadline))
        if len(grades) != len(samples):
            raise RuntimeError(f"judge returned {len(grades)} grades for {len(samples)} samples")
        return grades

    def _await_judge(self, future: Future[list[Grade]] | None, count: int, deadline: Deadline) -> list[Grade]:
        if future is None:
            return []
        remaining = deadline.remaining()
        try:
            # The judge returns by its own, earlier deadline; never wait into the response reserve.
            return future.result(timeout=None if remaining == float("inf") else max(0.0, remaining))
        except FutureTimeout:
            return [zero("not judged: the Lambda's remaining time ran out", timed_out=1.0)] * count
        except GraderConfigurationError:
            raise  # the judge cannot work for any judged item (e.g. no model access): fail the batch visibly
        except Exception as exc:
            LOGGER.exception("composite judge component raised")
            return [zero(f"{type(exc).__name__}: {exc}", error=1.0)] * count

    def _component(self, name: str) -> _LazyComponent | None:
        return self._components.get(name)


def _unavailable(name: str, component: _LazyComponent | None) -> str:
    if component is None:
        return f"{name} grader is not configured in this composite"
    return component.error or f"{name} grader unavailable"


def _unit(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    return min(1.0, max(0.0, number)) if math.isfinite(number) else 0.0
