"""IFEval ``combination:*``: two different responses, and repeating the prompt first."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .arguments import BadKwargs, Check, KwargReader, RowContext, no_kwargs

RESPONSE_SEPARATOR = "******"


def has_two_responses(response: str) -> bool:
    """Exactly two non-empty, different parts between ``******`` separators.

    A separator may open or close the response; an empty part between two separators
    (``******`` twice in a row) fails, as in IFEval.
    """
    parts = response.split(RESPONSE_SEPARATOR)
    answers = []
    for index, part in enumerate(parts):
        if part.strip():
            answers.append(part.strip())
        elif index not in (0, len(parts) - 1):
            return False
    return len(answers) == 2 and answers[0] != answers[1]


def two_responses(kwargs: Mapping[str, Any], context: RowContext) -> Check:
    no_kwargs(kwargs)
    return has_two_responses


def repeat_prompt(kwargs: Mapping[str, Any], context: RowContext) -> Check:
    """The response starts with the request, word for word (case aside).

    The request is ``prompt_to_repeat``; without it, the row's last user message.
    """
    args = KwargReader(kwargs)
    prompt = args.optional_text("prompt_to_repeat") or context.last_user_prompt
    args.finish()
    prompt = prompt.strip().lower()
    if not prompt:
        raise BadKwargs("no 'prompt_to_repeat' given and the row has no user prompt to repeat")
    return lambda response: response.strip().lower().startswith(prompt)


INSTRUCTIONS = {
    "combination:two_responses": two_responses,
    "combination:repeat_prompt": repeat_prompt,
}
