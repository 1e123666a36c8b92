"""The math grader: final-answer extraction, a numeric fast path, Math-Verify for the rest.

Importing this package is cheap: sympy and Math-Verify load on the first answer that needs them.
"""

from .grader import MathGrader, MathGraderSettings, grade, grade_within

__all__ = ["MathGrader", "MathGraderSettings", "grade", "grade_within"]
