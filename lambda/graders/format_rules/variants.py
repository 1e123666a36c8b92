"""The response texts an IFEval instruction is checked against: strict or loose.

Loose mode is IFEval's upper bound: an instruction also counts as followed when it holds
for the response without its first line, without its last line, without both, or for
any of those four with every ``*`` removed (markdown emphasis often trips exact checks).
"""

from __future__ import annotations


def response_variants(response: str, *, loose: bool) -> tuple[str, ...]:
    if not loose:
        return (response,)
    lines = response.split("\n")
    without_first = "\n".join(lines[1:]).strip()
    without_last = "\n".join(lines[:-1]).strip()
    without_both = "\n".join(lines[1:-1]).strip()
    plain = (response, without_first, without_last, without_both)
    return plain + tuple(text.replace("*", "") for text in plain)
