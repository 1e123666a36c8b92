"""Code-execution grader: runs the response's Python program against the row's tests, isolated (README.md)."""
