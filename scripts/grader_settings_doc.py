"""Print (or, with --write, refresh in README.md) the table of grader settings, from the grader catalogue.

The catalogue (lambda/graders/catalog.py) declares every grader setting once; this table is generated
from it, and a test keeps the README's copy equal to the generated one.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from graders.catalog import CATALOG, Setting

README = Path(__file__).resolve().parent.parent / "README.md"
BEGIN, END = "<!-- grader-settings:begin -->", "<!-- grader-settings:end -->"


def _allowed(setting: Setting) -> str:
    if setting.choices:
        allowed = " / ".join(f"`{c}`" for c in setting.choices)
    elif setting.type in ("number", "integer") and setting.low is not None:
        allowed = (
            f"{setting.type} {setting.low:g}-{setting.high:g}" if setting.high is not None else f">= {setting.low:g}"
        )
    else:
        allowed = setting.type
    default = "unset" if setting.default is None else f"`{json.dumps(setting.default)}`"
    return f"{allowed}; default {default}"


def table() -> str:
    lines = ["| setting | environment variable | allowed | changes rewards | what it does |", "|---|---|---|---|---|"]
    for kind in CATALOG.values():
        for setting in kind.settings:
            lines.append(
                f"| `{kind.name}.{setting.key}` | `{setting.env}` | {_allowed(setting)} | "
                f"{'yes' if setting.reward else 'no (not in the job fingerprint)'} | {setting.doc} |"
            )
    return "\n".join(lines)


def readme_with_table(text: str) -> str:
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return text[:start] + "\n" + table() + "\n" + text[end:]


if __name__ == "__main__":
    if "--write" in sys.argv:
        README.write_text(readme_with_table(README.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        print(table())
