"""Lambda entry point of the code-execution grader (tagged ``rft:grader=code``): ``graders.code_handler.handler``.

Settings come from the environment on the first invocation (``CODE_*``, see
``graders/code_exec/README.md``). Items of a batch run in parallel up to the function's vCPUs.
"""

from __future__ import annotations

import os

from graders.observability import grader_factory, make_batch_handler


@grader_factory
def _build_grader():
    from graders.code_exec.grader import CodeGrader

    return CodeGrader.from_environment(os.environ).grade_items


handler = make_batch_handler("code", _build_grader)


def handler_for(environ: dict[str, str]):
    """A handler with its own settings (tests, ``rft grade``): the same path as ``handler``."""
    from graders.code_exec.grader import CodeGrader

    return make_batch_handler("code", grader_factory(lambda: CodeGrader.from_environment(environ).grade_items))
