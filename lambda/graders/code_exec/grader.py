"""The code-execution grader: score = fraction of the row's tests the response's program passes."""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from graders.contract import NOT_IN_TIME, Deadline, Grade, Sample, grade_safely, zero

from .program import MAX_TESTS, RowTests, compiles, extract_program, plan_for_row
from .sandbox import (
    Limits,
    Outcome,
    ScratchSweeper,
    become_subreaper,
    protect_self,
    report_isolation,
    run_function_test,
    run_io_test,
)

GRADER = "code"
LOGGER = logging.getLogger("graders")
MIN_TEST_SECONDS = 0.3  # a test is not started with less time than this left


def _number(environ: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = environ.get(name)
    if raw is None or not str(raw).strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not a number") from None
    if not low <= value <= high:
        raise ValueError(f"{name}={raw!r} is outside [{low:g}, {high:g}]")
    return value


def _flag(environ: Mapping[str, str], name: str, default: bool) -> bool:
    raw = str(environ.get(name, "")).strip().lower()
    if not raw:
        return default
    if raw not in ("true", "false", "1", "0", "yes", "no"):
        raise ValueError(f"{name}={raw!r}: use true or false")
    return raw in ("true", "1", "yes")


def vcpus() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class CodeSettings:
    """Configuration, from the environment (names and ranges in the package README)."""

    limits: Limits = field(default_factory=Limits)
    scoring: str = "fraction"  # or "all_or_nothing" (reward-affecting)
    max_workers: int = 0  # 0: the function's vCPUs
    stop_after_timeouts: int = 1  # later tests of a program that timed out this often fail unrun (0: run all)
    scratch_dir: Path = Path(tempfile.gettempdir()) / "rft-code-sandbox"
    sweep_dirs: tuple[Path, ...] = ()

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> CodeSettings:
        limits = Limits(
            wall_seconds=_number(environ, "CODE_TEST_TIMEOUT_SECONDS", 4.0, 0.1, 60),
            cpu_seconds=int(_number(environ, "CODE_CPU_SECONDS", 2, 1, 60)),
            memory_bytes=int(_number(environ, "CODE_MEMORY_MB", 512, 64, 8192)) * 1024 * 1024,
            file_bytes=int(_number(environ, "CODE_FILE_SIZE_KB", 1024, 1, 1024 * 1024)) * 1024,
            output_bytes=int(_number(environ, "CODE_OUTPUT_KB", 1024, 1, 64 * 1024)) * 1024,
            nproc_allowance=int(_number(environ, "CODE_NPROC_ALLOWANCE", 16, 1, 512)),
            namespaces=_flag(environ, "CODE_NAMESPACES", True),
        )
        scoring = environ.get("CODE_SCORING", "fraction").strip().lower() or "fraction"
        if scoring not in ("fraction", "all_or_nothing"):
            raise ValueError(f"CODE_SCORING={scoring!r}: use fraction or all_or_nothing")
        on_lambda = bool(environ.get("AWS_LAMBDA_FUNCTION_NAME"))
        sweep = environ.get("CODE_SWEEP_DIRS", "/tmp" if on_lambda else "")
        scratch = environ.get("CODE_SCRATCH_DIR") or str(Path(tempfile.gettempdir()) / "rft-code-sandbox")
        return cls(
            limits=limits,
            scoring=scoring,
            max_workers=int(_number(environ, "CODE_MAX_WORKERS", 0, 0, 64)),
            stop_after_timeouts=int(_number(environ, "CODE_STOP_AFTER_TIMEOUTS", 1, 0, MAX_TESTS)),
            scratch_dir=Path(scratch),
            sweep_dirs=tuple(Path(p) for p in sweep.split(",") if p.strip()),
        )


class CodeGrader:
    def __init__(self, settings: CodeSettings | None = None) -> None:
        self.settings = settings or CodeSettings()
        self.settings.scratch_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.settings.scratch_dir, 0o711)  # children (maybe another user) enter only their own dir
        self.subreaper = become_subreaper()
        self.protected = protect_self()
        self.sweeper = ScratchSweeper(list(self.settings.sweep_dirs), keep=self.settings.scratch_dir)
        # Once per container: which isolation the programs get here (namespaces, or processes only).
        self.isolation = report_isolation(self.settings.limits, LOGGER)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> CodeGrader:
        return cls(CodeSettings.from_environment(environ))

    # One item -----------------------------------------------------------------------------------------------
    def grade(self, sample: Sample, deadline: Deadline | None = None) -> Grade:
        deadline = deadline or Deadline()
        plan = plan_for_row(sample)
        program = extract_program(sample.response, plan)
        metrics = {
            "code_found": 0.0,
            "compiles": 0.0,
            "tests_passed": 0.0,
            "timed_out": 0.0,
            "memory_exceeded": 0.0,
            "crashed": 0.0,
        }
        if program.source is None:
            return Grade(score=0.0, metrics=metrics, reason="no Python code found in the response")
        metrics["code_found"] = 1.0
        if not compiles(program.source):
            return Grade(score=0.0, metrics=metrics, reason="the program does not compile")
        metrics["compiles"] = 1.0
        outcomes: list[Outcome] = []
        stop = self.settings.stop_after_timeouts
        for index in range(plan.count):
            if stop and sum(o.timed_out for o in outcomes) >= stop:
                outcomes.append(Outcome(timed_out=True, reason="not run: the program already timed out"))
                continue
            if deadline.remaining() < MIN_TEST_SECONDS:
                return zero(NOT_IN_TIME, timed_out=1.0)
            outcomes.append(self._run(program.source, plan, index, deadline.remaining() - 0.1))
        passed = sum(o.passed for o in outcomes)
        metrics.update(
            tests_passed=passed / len(outcomes),
            timed_out=float(any(o.timed_out for o in outcomes)),
            memory_exceeded=float(any(o.memory_exceeded for o in outcomes)),
            crashed=float(any(o.crashed for o in outcomes)),
            tests_run=float(len(outcomes)),
        )
        if any(o.output_exceeded for o in outcomes):
            metrics["output_exceeded"] = 1.0
        score = passed / len(outcomes)
        if self.settings.scoring == "all_or_nothing":
            score = float(passed == len(outcomes))
        failed = [f"test {i + 1}: {o.reason}" for i, o in enumerate(outcomes) if not o.passed]
        return Grade(score=score, metrics=metrics, reason="; ".join(failed)[:500] or None)

    def _run(self, program: str, plan: RowTests, index: int, seconds_left: float) -> Outcome:
        limits = self.settings.limits
        try:
            if plan.kind == "io":
                stdin, expected = plan.io_cases[index]
                return run_io_test(
                    program, stdin, expected, limits, self.settings.scratch_dir, wall_seconds=seconds_left
                )
            spec = dict(plan.function_tests[index], starter=plan.starter, setup=plan.setup)
            return run_function_test(program, spec, limits, self.settings.scratch_dir, wall_seconds=seconds_left)
        finally:
            self.sweeper.sweep()

    # A batch ------------------------------------------------------------------------------------------------
    def grade_samples(self, samples: Sequence[Sample], deadline: Deadline) -> list[Grade]:
        """Samples in parallel, up to the vCPUs (or ``max_workers``); grades in order."""
        workers = max(1, min(len(samples) or 1, self.settings.max_workers or vcpus()))

        def one(sample: Sample) -> Grade:
            if deadline.remaining() < MIN_TEST_SECONDS:
                return zero(NOT_IN_TIME, timed_out=1.0)
            return grade_safely(lambda s: self.grade(s, deadline), sample)

        if workers == 1:
            return [one(sample) for sample in samples]
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="code-grader") as pool:
            return list(pool.map(one, samples))
