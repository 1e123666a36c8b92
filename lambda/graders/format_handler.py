"""Lambda entry point of the format grader (``graders.format_handler.handler``).

Configuration (environment, read once, on the first invocation):
``FORMAT_SCORING`` = ``fraction`` (default) | ``all_or_nothing``; ``FORMAT_LOOSE`` = ``true`` |
``false`` (default); ``FORMAT_DEFAULT_CONSTRAINTS`` = JSON constraints for rows that carry none,
e.g. ``{"instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}]}``.
See ``docs/format-constraints.md`` for every supported constraint.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from graders.contract import GradeFn
from graders.observability import grader_factory, make_handler


def build_format_grader(environ: Mapping[str, str]) -> GradeFn:
    from graders.format_rules import FormatGrader, FormatSettings

    return FormatGrader.from_settings(FormatSettings.from_environment(environ))


@grader_factory
def _grader_from_process_environment() -> GradeFn:
    return build_format_grader(os.environ)


handler = make_handler("format", _grader_from_process_environment)
