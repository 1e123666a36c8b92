"""Rubric templates: versioned prompt files in ``rubrics/`` and a custom rubric from configuration.

A rubric file starts with a small front matter block (``key: value`` lines between ``---`` lines)
giving its name, version and integer score scale, followed by the prompt text. The text may use
``{{placeholder}}`` fields filled from the row (see :data:`PLACEHOLDERS`). The generated answer is
never a placeholder: it goes into the request only inside the delimited block built by ``prompt.py``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

RUBRICS_DIR = Path(__file__).parent / "rubrics"
BUILT_IN = ("instruction_following", "summarization", "reasoning", "rag_faithfulness")
CUSTOM = "custom"
PLACEHOLDERS = ("prompt", "conversation", "reference_answer", "context", "criteria", "domain")
MISSING_FIELD = "(none provided)"
# A custom rubric without front matter is graded on this scale.
DEFAULT_CUSTOM_SCALE = (0.0, 10.0)

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_FRONT_MATTER = re.compile(r"\A\s*---\s*\n(.*?)\n---\s*\n", re.DOTALL)
_VERSIONED_NAME = re.compile(r"^(?P<name>[a-z_]+)\.v(?P<version>\d+)$")


class RubricError(ValueError):
    """The configured rubric does not exist or is not valid (a configuration error, not an item error)."""


@dataclass(frozen=True)
class Rubric:
    name: str
    version: str
    scale_min: float
    scale_max: float
    template: str

    @property
    def label(self) -> str:
        return f"{self.name}.v{self.version}"

    @property
    def placeholders(self) -> frozenset[str]:
        return frozenset(match.group(1) for match in _PLACEHOLDER.finditer(self.template))

    def render(self, fields: Mapping[str, str]) -> str:
        """Fill every ``{{field}}`` in one pass, so text inside a field is never expanded again."""

        def fill(match: re.Match[str]) -> str:
            value = fields.get(match.group(1))
            return value if isinstance(value, str) and value.strip() else MISSING_FIELD

        return _PLACEHOLDER.sub(fill, self.template).strip()


def load_rubric(name: str, custom_text: str | None = None) -> Rubric:
    """The rubric named by configuration: a built-in name (latest version), ``name.vN``, or ``custom``."""
    name = (name or "").strip()
    if name == CUSTOM:
        if not custom_text or not custom_text.strip():
            raise RubricError("JUDGE_RUBRIC is 'custom' but JUDGE_CUSTOM_RUBRIC is empty")
        return parse_rubric(custom_text, default_name=CUSTOM, default_scale=DEFAULT_CUSTOM_SCALE)
    return _load_built_in(name)


@cache  # rubric files are read once per process
def _load_built_in(name: str) -> Rubric:
    versioned = _VERSIONED_NAME.match(name)
    base = versioned.group("name") if versioned else name
    if base not in BUILT_IN:
        raise RubricError(f"unknown rubric {name!r}; expected one of {', '.join(BUILT_IN + (CUSTOM,))}")
    if versioned:
        path = RUBRICS_DIR / f"{name}.md"
    else:
        versions = sorted(RUBRICS_DIR.glob(f"{base}.v*.md"), key=_version_number)
        path = versions[-1] if versions else RUBRICS_DIR / f"{base}.v1.md"
    if not path.is_file():
        raise RubricError(f"rubric file {path.name} not found in {RUBRICS_DIR}")
    return parse_rubric(path.read_text(encoding="utf-8"), default_name=base, default_scale=None)


def _version_number(path: Path) -> int:
    match = _VERSIONED_NAME.match(path.stem)
    return int(match.group("version")) if match else 0


def parse_rubric(text: str, *, default_name: str, default_scale: tuple[float, float] | None) -> Rubric:
    """Split front matter from the template and validate the score scale."""
    header: dict[str, str] = {}
    match = _FRONT_MATTER.match(text)
    if match:
        for line in match.group(1).splitlines():
            key, sep, value = line.partition(":")
            if sep:
                header[key.strip().lower()] = value.strip()
        text = text[match.end() :]
    try:
        low = float(header["scale_min"]) if "scale_min" in header else None
        high = float(header["scale_max"]) if "scale_max" in header else None
    except ValueError as exc:
        raise RubricError(f"rubric {default_name!r}: scale bounds must be numbers ({exc})") from None
    if low is None or high is None:
        if default_scale is None:
            raise RubricError(f"rubric {default_name!r} has no scale_min/scale_max in its front matter")
        low = default_scale[0] if low is None else low
        high = default_scale[1] if high is None else high
    if not high > low:
        raise RubricError(f"rubric {default_name!r}: scale_max ({high}) must be above scale_min ({low})")
    if not text.strip():
        raise RubricError(f"rubric {default_name!r} has no prompt text")
    return Rubric(
        name=header.get("name", default_name),
        version=header.get("version", "1"),
        scale_min=low,
        scale_max=high,
        template=text,
    )
