"""Format and constraint checks: IFEval's 25 instructions plus structured-output checks.

``FormatGrader`` grades a sample; ``INSTRUCTIONS`` maps each IFEval id to its check builder;
``STRUCTURED_CHECKS`` maps each structured constraint type to its builder.
"""

from .grader import ALL_OR_NOTHING, FRACTION, FormatGrader, FormatSettings
from .registry import INSTRUCTIONS
from .structured import STRUCTURED_CHECKS

__all__ = [
    "ALL_OR_NOTHING",
    "FRACTION",
    "INSTRUCTIONS",
    "STRUCTURED_CHECKS",
    "FormatGrader",
    "FormatSettings",
]
