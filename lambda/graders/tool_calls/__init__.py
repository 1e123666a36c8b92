"""Tool-call grader: compares the answer's function calls with the row's reference calls (README.md).

A call with a wrong argument value is a wrong call for an agent (the wrong city, amount or date is a wrong
action), so only a right call (right name, every reference value, nothing extra) earns its full credit; any other
call to the right function keeps ``TOOLS_WRONG_CALL_CREDIT`` (0.5) of its weighted partial credit, which still
orders the wrong calls (one wrong value > all values wrong > right name only > wrong name = 0). The reasoning and
the measurements are in ``grader.py``'s docstring and README.md's Score section.
"""
