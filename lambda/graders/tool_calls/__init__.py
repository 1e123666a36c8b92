"""Tool-call grader: compares the answer's function calls with the row's reference calls (README.md)."""
