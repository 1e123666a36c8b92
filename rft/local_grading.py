"""Run the real grader Lambda handlers locally, on Bedrock-shaped batches built from dataset rows.

Calling the handler (not a grader's internals) is the most faithful rehearsal: the same parsing,
the same configuration from environment variables (``FORMAT_*``, ``JUDGE_*``, ``COMPOSITE_*``) and
the same results Bedrock would receive. The graders' EMF metric lines are discarded and their info
logs hushed while grading, so the terminal shows the command's own output.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from graders.catalog import CATALOG

from .errors import CliError
from .rows import Row

HANDLER_MODULES = {kind: entry.module for kind, entry in CATALOG.items()}  # from the grader catalogue
BATCH_SIZE = 64  # about what a Lambda grader sees per call
ASSISTANT_ROLES = ("assistant", "nova_assistant", "bot")
_NOT_METADATA = ("messages", "response", "id")

Handler = Callable[[Any, Any], list[dict]]


def load_handler(grader: str) -> Handler:
    """The ``handler`` of a grader's Lambda module (package ``graders``, installed with ``rft``)."""
    module_name = HANDLER_MODULES.get(grader)
    if module_name is None:
        raise CliError(f"unknown grader {grader!r}; choose one of {', '.join(HANDLER_MODULES)}", exit_code=2)
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise CliError(f"cannot load the {grader} grader ({module_name}): {exc}") from None
    handler = getattr(module, "handler", None)
    if not callable(handler):
        raise CliError(f"{module_name} has no handler function")
    return handler


# How every grader logs the reason for an item's score (graders.contract.safe_grade, the judge, the composite).
REASON_LOG_FORMAT = "item %s scored %.3f: %s"


class _ReasonFilter(logging.Filter):
    """On the ``graders`` logger while grading locally: keeps each item's logged reason, lets only errors through."""

    def __init__(self, reasons: dict[str, str] | None) -> None:
        super().__init__()
        self.reasons = reasons

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        if self.reasons is not None and record.msg == REASON_LOG_FORMAT and len(args) == 3:
            self.reasons[str(args[0])] = str(args[2])
        return record.levelno >= logging.ERROR


@contextlib.contextmanager
def _quiet_graders(reasons: dict[str, str] | None = None) -> Iterator[None]:
    """Only error logs from the graders, and their EMF metric lines (printed) discarded.

    The ``graders`` logger itself is opened to INFO behind a filter, so the reason each item's score
    is logged with can be kept (``reasons``, by item id) without printing anything below ERROR."""
    # Powertools names each handler's logger after its service; the grader modules log to "graders".
    names = ["graders", *(f"rft-grader-{g}" for g in HANDLER_MODULES)]
    children = [n for n in list(logging.root.manager.loggerDict) if n.startswith("graders.")]
    loggers = [logging.getLogger(name) for name in [*names, *children]]
    saved_levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)  # children explicitly too: they would inherit INFO from "graders"
    parent = logging.getLogger("graders")
    reason_filter = _ReasonFilter(reasons)
    parent.setLevel(logging.INFO)
    parent.addFilter(reason_filter)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        parent.removeFilter(reason_filter)
        for logger, level in zip(loggers, saved_levels):
            logger.setLevel(level)


def prompt_and_response(row: Mapping[str, Any]) -> tuple[list[Any], Any]:
    """The prompt turns and the response to grade: a ``response`` field, or a last assistant turn."""
    messages = row.get("messages")
    messages = list(messages) if isinstance(messages, list) else []
    if "response" in row:
        return messages, row["response"]
    if messages and isinstance(messages[-1], Mapping) and messages[-1].get("role") in ASSISTANT_ROLES:
        return messages[:-1], messages[-1].get("content")
    return messages, None


def batch_item(row: Row, response: Any, *, item_id: str | None = None) -> dict[str, Any]:
    """One sample as Bedrock sends it: the prompt plus the generated turn, every other field in metadata."""
    prompt, _ = prompt_and_response(row.data)
    metadata = {k: v for k, v in row.data.items() if k not in _NOT_METADATA}
    return {
        "id": item_id or row.id,
        "messages": prompt + [{"role": "assistant", "content": response}],
        "metadata": metadata,
    }


def run_grader(
    handler: Handler,
    items: Sequence[dict[str, Any]],
    *,
    progress: Callable[[int], None] | None = None,
    reasons: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Grade ``items`` in Lambda-sized batches; results are aligned with ``items``. ``reasons`` (when given)
    receives the reason the grader logged for an item's score, by item id (graders log one for most
    scores below full: a failed check, a hedged answer, a judge call that failed)."""
    results: list[dict[str, Any]] = []
    with _quiet_graders(reasons):
        for start in range(0, len(items), BATCH_SIZE):
            batch = list(items[start : start + BATCH_SIZE])
            try:
                answer = handler(batch, None)
            except Exception as exc:  # the grader rejected the batch or could not start
                raise CliError(f"the grader failed on a batch: {type(exc).__name__}: {exc}") from None
            if not isinstance(answer, list) or len(answer) != len(batch):
                raise CliError(f"the grader returned {_size(answer)} results for {len(batch)} items")
            results.extend(answer)
            if progress:
                progress(len(batch))
    return results


def _size(answer: Any) -> str:
    return str(len(answer)) if isinstance(answer, list) else f"a {type(answer).__name__}, not a list of"


def metrics_of(result: Mapping[str, Any]) -> dict[str, Any]:
    """``metrics_list`` as name -> value, the values as the grader sent them (numbers from a conforming one)."""
    out: dict[str, Any] = {}
    for entry in result.get("metrics_list") or ():
        if isinstance(entry, Mapping) and "name" in entry:
            out[str(entry["name"])] = entry.get("value")
    return out
