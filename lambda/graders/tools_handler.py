"""Lambda entry point of the tool-call grader (tagged ``rft:grader=tools``): ``graders.tools_handler.handler``.

Settings from the environment on the first invocation: ``TOOLS_ORDERED`` (``false``), ``TOOLS_WEIGHTS``
(``name=0.2,argument_names=0.3,argument_values=0.4,schema_valid=0.1``), ``TOOLS_WRONG_CALL_CREDIT`` (``0.5``).
See graders/tool_calls/README.md.
"""

from __future__ import annotations

import os

from graders.observability import grader_factory, make_handler


@grader_factory
def _build_grader():
    from graders.tool_calls.grader import ToolCallGrader

    return ToolCallGrader.from_environment(os.environ)


handler = make_handler("tools", _build_grader)


def handler_for(environ: dict[str, str]):
    """A handler with its own settings (tests, ``rft grade``): the same path as ``handler``."""
    from graders.tool_calls.grader import ToolCallGrader

    return make_handler("tools", grader_factory(lambda: ToolCallGrader.from_environment(environ)))
