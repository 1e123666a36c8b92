"""Reading JSONL rows (with their line numbers) for `rft grade` and `rft rehearse`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import CliError

MAX_PROBLEMS_SHOWN = 10


@dataclass(frozen=True)
class Row:
    line: int
    data: dict[str, Any]

    @property
    def id(self) -> str:
        value = self.data.get("id")
        return str(value) if value is not None else f"line-{self.line}"


def read_rows(path: str | Path) -> list[Row]:
    """Every non-blank line as a JSON object; any line that is not one stops the command."""
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise CliError(f"{path}: cannot read the file: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise CliError(f"{path}: not valid UTF-8 (byte {exc.start + 1}); run `rft validate {path}`") from None
    rows: list[Row] = []
    problems: list[str] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{path}:{number}: not valid JSON: {exc.msg} (column {exc.colno})")
            continue
        if not isinstance(data, dict):
            problems.append(f"{path}:{number}: the line is not a JSON object")
            continue
        rows.append(Row(line=number, data=data))
    if problems:
        raise CliError(_summarise(problems))
    if not rows:
        raise CliError(f"{path}: no rows")
    return rows


def _summarise(problems: list[str]) -> str:
    shown = problems[:MAX_PROBLEMS_SHOWN]
    more = len(problems) - len(shown)
    return "\n".join(shown + ([f"... and {more} more"] if more else []))
