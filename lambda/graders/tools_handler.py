"""Lambda entry point of the tool-call grader (tagged ``rft:grader=tools``): ``graders.tools_handler.handler``.

Settings from the environment on the first invocation: ``TOOLS_ORDERED`` (``false``), ``TOOLS_WEIGHTS``
(``name=0.2,argument_names=0.3,argument_values=0.4,schema_valid=0.1``). See graders/tool_calls/README.md.
"""

from __future__ import annotations

import os

from graders.observability import grader_factory, make_handler


@grader_factory
def _build_grader():
    from graders.tool_calls.grader import ToolCallGrader

    return ToolCallGrader.from_environment(os.environ)


handler = make_handler("tools", _build_grader)
