"""Read the judge's verdict tolerantly and normalise its score to [0, 1].

The judge is asked for ``{"score": <int>, "reason": "..."}`` but models wrap it in code fences, add
prose around it, think aloud in ``<reasoning>`` blocks (gpt-oss) or answer ``Score: 7/10``. All of
those are accepted; a reply with no score, or a score outside the rubric's scale, is unusable.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

SCORE_KEYS = ("score", "rating", "grade", "overall_score", "final_score", "overall", "verdict")
REASON_KEYS = ("reason", "rationale", "explanation", "justification", "feedback")

_THINKING = re.compile(r"<(reasoning|think|thinking)>.*?</\1>", re.DOTALL | re.IGNORECASE)
_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.DOTALL)
_NUMBER = r"[-+]?\d+(?:\.\d+)?"
_FRACTION = re.compile(rf"^\s*({_NUMBER})\s*(?:/|out\s+of)\s*({_NUMBER})\s*$", re.IGNORECASE)
_LABELLED = re.compile(
    rf"(?:\*\*)?\b(?:{'|'.join(SCORE_KEYS)})\b(?:\*\*)?[\"']?\s*(?:is|of|[:=])?\s*(?:\*\*)?\s*({_NUMBER})"
    rf"(?:\s*(?:/|out\s+of)\s*({_NUMBER}))?",
    re.IGNORECASE,
)
_TRAILING_COMMA = re.compile(r",\s*([}\]])")


class UnusableVerdict(ValueError):
    """The reply holds no score on the rubric's scale."""


@dataclass(frozen=True)
class Verdict:
    score: float  # normalised to [0, 1]
    raw_score: float  # as the judge gave it
    reason: str


def parse_verdict(text: str, *, scale_min: float, scale_max: float) -> Verdict:
    if not isinstance(text, str) or not text.strip():
        raise UnusableVerdict("the judge returned no text")
    visible = _THINKING.sub(" ", text).strip() or text
    for obj in _json_objects(visible):
        found = _score_in_object(obj)
        if found is not None:
            value, denominator = found
            return _verdict(value, denominator, _reason_in_object(obj), scale_min, scale_max)
    matches = list(_LABELLED.finditer(visible))
    if matches:  # the last labelled score is the final one when the judge thinks aloud first
        last = matches[-1]
        denominator = float(last.group(2)) if last.group(2) else None
        return _verdict(float(last.group(1)), denominator, visible[:300], scale_min, scale_max)
    bare = _FRACTION.match(visible) or re.fullmatch(rf"\s*({_NUMBER})\s*", visible)
    if bare:
        denominator = float(bare.group(2)) if bare.lastindex and bare.lastindex >= 2 else None
        return _verdict(float(bare.group(1)), denominator, "", scale_min, scale_max)
    raise UnusableVerdict(f"no score found in the judge's reply: {_excerpt(visible)!r}")


def _verdict(value: float, denominator: float | None, reason: str, low: float, high: float) -> Verdict:
    if not math.isfinite(value):
        raise UnusableVerdict(f"score {value} is not a finite number")
    if denominator is not None and denominator != high:
        # "7/10" on a 1-5 rubric: the judge used its own scale; read it as a fraction of that scale.
        if denominator <= 0 or not 0 <= value <= denominator:
            raise UnusableVerdict(f"score {value}/{denominator} is not a fraction in range")
        return Verdict(score=value / denominator, raw_score=value, reason=reason.strip())
    if not low <= value <= high:
        raise UnusableVerdict(f"score {value} is outside the rubric's scale {low:g}-{high:g}")
    return Verdict(score=(value - low) / (high - low), raw_score=value, reason=reason.strip())


def _json_objects(text: str) -> Iterator[dict[Any, Any]]:
    """JSON objects in the reply: fenced blocks first, then every balanced ``{...}``, last first."""
    candidates = [m.group(1) for m in _FENCE.finditer(text)]
    candidates += list(reversed(_balanced_braces(text)))
    for candidate in candidates:
        obj = _loads_lenient(candidate.strip())
        if isinstance(obj, dict):
            yield obj


def _balanced_braces(text: str) -> list[str]:
    spans, depth, start, in_string, escaped = [], 0, -1, False, False
    for index, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"' and depth:
            in_string = True
        elif char == "{":
            if depth == 0:
                start = index
            depth += 1
        elif char == "}" and depth:
            depth -= 1
            if depth == 0:
                spans.append(text[start : index + 1])
    return spans


def _loads_lenient(candidate: str) -> Any:
    attempts = (candidate, _TRAILING_COMMA.sub(r"\1", candidate))
    for attempt in attempts:
        try:
            return json.loads(attempt)
        except ValueError:
            continue
    if "'" in candidate and '"' not in candidate:  # a Python-style dict
        try:
            return json.loads(_TRAILING_COMMA.sub(r"\1", candidate.replace("'", '"')))
        except ValueError:
            return None
    return None


def _score_in_object(obj: dict[Any, Any]) -> tuple[float, float | None] | None:
    lowered = {str(k).strip().lower(): v for k, v in obj.items()}
    for key in SCORE_KEYS:
        if key not in lowered:
            continue
        value = lowered[key]
        if isinstance(value, bool):
            return None
        if isinstance(value, (int, float)):
            return float(value), None
        if isinstance(value, str):
            fraction = _FRACTION.match(value)
            if fraction:
                return float(fraction.group(1)), float(fraction.group(2))
            try:
                return float(value.strip()), None
            except ValueError:
                return None
        if isinstance(value, dict):  # {"score": {"value": 7, "max": 10}}
            return _score_in_object({"score": value.get("value", value.get("score"))})
    return None


def _reason_in_object(obj: dict[Any, Any]) -> str:
    lowered = {str(k).strip().lower(): v for k, v in obj.items()}
    for key in REASON_KEYS:
        value = lowered.get(key)
        if isinstance(value, str):
            return value
    return ""


def _excerpt(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."
