"""The request and response envelopes of a reward-function call, for both training paths.

What AWS documents or shows (docs/open-weight.md names the pages):

- Nova ("Setting up reward functions for Amazon Nova models") and open-weight ("Setting up reward functions for
  open-weight models"): the event is a JSON **array** of samples ``{id, messages, reference_answer, ...}``; the
  response is an array of ``{id, aggregate_reward_score, metrics_list}``, one per sample.
- AWS's open-weight RFT sample (amazon-bedrock-samples, ``custom-models/bedrock-reinforcement-fine-tuning``) also
  accepts an **object** whose ``trajectories`` key holds that array, and answers it with the bare array as well.

So the only difference is the optional ``trajectories`` wrapper on the request; the response envelope is the same
array in every case. ``unwrap_event`` returns the samples and the function that wraps the results for the reply,
so a batch handler reads ``items, wrap = unwrap_event(event)`` and returns ``wrap(results)``.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from .contract import BatchError

ARRAY = "array"
TRAJECTORIES = "trajectories"


def envelope_of(event: Any) -> str:
    """Which documented request shape this is; :class:`BatchError` for anything else."""
    if isinstance(event, list):
        return ARRAY
    if isinstance(event, Mapping) and isinstance(event.get(TRAJECTORIES), list):
        return TRAJECTORIES
    shape = f"an object with keys {sorted(map(str, event))[:5]}" if isinstance(event, Mapping) \
        else type(event).__name__
    raise BatchError(f"grader event must be a JSON array of samples or an object with a 'trajectories' array, "
                     f"got {shape}")


def _as_array(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return results


def unwrap_event(event: Any) -> tuple[list[Any], Callable[[list[dict[str, Any]]], Any]]:
    """(samples, wrap_response). Every documented shape is answered with the bare results array."""
    kind = envelope_of(event)
    items = event if kind == ARRAY else event[TRAJECTORIES]
    return list(items), _as_array
