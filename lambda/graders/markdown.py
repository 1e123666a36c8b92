"""Fenced code blocks in a model's answer, as Markdown (CommonMark) writes them.

One reader for every grader that takes code or JSON out of a response. A fence is three or more backticks or
tildes; the block ends at the same fence or at the end of the text (answers cut at the token limit often lose
their closing fence). A fence indented inside a list item has its indentation removed from the block's lines,
as CommonMark does, so the code parses. The opening fence need not start a line and the closing one may end
the last line of code: models write both, and a block they mean should not score 0 for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_BLOCK = re.compile(
    r"(?P<indent>^[ \t]*)?(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\n`]*)\n(?P<body>.*?)(?:(?P=fence)|\Z)",
    re.DOTALL | re.MULTILINE,
)


@dataclass(frozen=True)
class FencedBlock:
    language: str  # the info string's first word, lower-cased ("" for a bare fence)
    body: str


def fenced_blocks(text: str) -> list[FencedBlock]:
    """Every fenced block of ``text``, in order."""
    blocks = []
    for match in _BLOCK.finditer(text):
        info = match["info"].split()
        indent = len(match["indent"] or "")
        body = match["body"]
        if indent:
            body = "\n".join(_dedent(line, indent) for line in body.split("\n"))
        blocks.append(FencedBlock(language=info[0].lower() if info else "", body=body))
    return blocks


def _dedent(line: str, width: int) -> str:
    """``line`` without up to ``width`` columns of leading whitespace (the fence's own indentation)."""
    stripped = line.lstrip(" \t")
    return line[min(width, len(line) - len(stripped)) :]
