"""Templates for small programming problems with tests, in the three test forms the code grader reads.

Each family draws its parameters, writes a reference solution, and the tests' expected values come
from running that solution here on drawn inputs, so a row's reference always passes its own tests.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

Family = Callable[[random.Random], dict[str, Any]]
WORDS = (
    "apple",
    "river",
    "stone",
    "cloud",
    "ember",
    "maple",
    "orbit",
    "pixel",
    "quartz",
    "tiger",
    "lemon",
    "delta",
    "harbor",
    "violet",
    "garden",
    "rocket",
    "silver",
    "forest",
    "candle",
    "meadow",
)


def _ints(rng: random.Random, n: int, low: int = -20, high: int = 50) -> list[int]:
    return [rng.randint(low, high) for _ in range(n)]


def sum_multiples(rng: random.Random) -> dict[str, Any]:
    k = rng.randint(2, 9)
    return {
        "name": f"sum_multiples_of_{k}",
        "params": "numbers",
        "text": f"returns the sum of the integers in the list `numbers` that are divisible by {k} (0 if none)",
        "body": f"    return sum(n for n in numbers if n % {k} == 0)\n",
        "inputs": [
            (_ints(rng, rng.randint(0, 5)) + [k * rng.randint(-4, 6) for _ in range(rng.randint(0, 3))],)
            for _ in range(4)
        ],
        "signature": "numbers: list",
    }


def nth_term(rng: random.Random) -> dict[str, Any]:
    a, d = rng.randint(-10, 20), rng.randint(-5, 9)
    return {
        "name": "nth_term",
        "params": "n",
        "text": f"returns the n-th term (n >= 1) of the arithmetic sequence whose first term is {a} and whose "
        f"common difference is {d}",
        "body": f"    return {a} + (n - 1) * ({d})\n",
        "inputs": [(rng.randint(1, 60),) for _ in range(4)],
        "signature": "n: int",
    }


def count_letters(rng: random.Random) -> dict[str, Any]:
    letters = "".join(sorted(rng.sample("abcdefghijklmnopqrstuvwxyz", rng.randint(2, 5))))
    return {
        "name": f"count_{letters}",
        "params": "text",
        "text": f"returns how many characters of `text` are one of the letters {', '.join(letters)} (case-insensitive)",
        "body": f"    return sum(1 for ch in text.lower() if ch in {letters!r})\n",
        "inputs": [(" ".join(rng.sample(WORDS, rng.randint(1, 4))).title(),) for _ in range(4)],
        "signature": "text: str",
    }


def rotate(rng: random.Random) -> dict[str, Any]:
    k = rng.randint(1, 6)
    return {
        "name": f"rotate_left_{k}",
        "params": "items",
        "text": f"returns a new list: `items` rotated left by {k} positions (wrapping around; an empty list "
        "stays empty)",
        "body": f"    if not items:\n        return []\n    shift = {k} % len(items)\n"
        "    return items[shift:] + items[:shift]\n",
        "inputs": [(_ints(rng, rng.randint(0, 7), 0, 9),) for _ in range(4)],
        "signature": "items: list",
    }


def window_max(rng: random.Random) -> dict[str, Any]:
    k = rng.randint(2, 4)
    return {
        "name": f"max_window_sum_{k}",
        "params": "numbers",
        "text": f"returns the largest sum of {k} consecutive numbers of the list `numbers`, or None when it "
        f"has fewer than {k} numbers",
        "body": f"    if len(numbers) < {k}:\n        return None\n"
        f"    return max(sum(numbers[i:i + {k}]) for i in range(len(numbers) - {k} + 1))\n",
        "inputs": [(_ints(rng, rng.randint(k - 1, 9)),) for _ in range(4)],
        "signature": "numbers: list",
    }


def clamp(rng: random.Random) -> dict[str, Any]:
    low = rng.randint(-10, 5)
    high = low + rng.randint(3, 20)
    return {
        "name": "clamp_all",
        "params": "numbers",
        "text": f"returns a new list in which every number of `numbers` is clamped to the range [{low}, {high}]",
        "body": f"    return [min({high}, max({low}, n)) for n in numbers]\n",
        "inputs": [(_ints(rng, rng.randint(1, 7), -30, 40),) for _ in range(4)],
        "signature": "numbers: list",
    }


def digit_sum(rng: random.Random) -> dict[str, Any]:
    base = rng.choice((2, 3, 5, 7, 8, 16))
    return {
        "name": f"digit_sum_base_{base}",
        "params": "n",
        "text": f"returns the sum of the digits of the non-negative integer n written in base {base}",
        "body": f"    total = 0\n    while n:\n        total += n % {base}\n        n //= {base}\n    return total\n",
        "inputs": [(rng.randint(0, 5000),) for _ in range(4)],
        "signature": "n: int",
    }


def fizz(rng: random.Random) -> dict[str, Any]:
    a, b = rng.sample((2, 3, 4, 5, 7), 2)
    wa, wb = rng.sample(("Fizz", "Buzz", "Zap", "Pop", "Ding"), 2)
    return {
        "name": "word_game",
        "params": "n",
        "text": f"returns a list of strings for 1..n: '{wa}{wb}' for numbers divisible by both {a} and {b}, "
        f"'{wa}' for those divisible by {a}, '{wb}' for those divisible by {b}, else the number as text",
        "body": f"    out = []\n    for i in range(1, n + 1):\n        if i % {a} == 0 and i % {b} == 0:\n"
        f"            out.append({wa + wb!r})\n        elif i % {a} == 0:\n            out.append({wa!r})\n"
        f"        elif i % {b} == 0:\n            out.append({wb!r})\n        else:\n"
        "            out.append(str(i))\n    return out\n",
        "inputs": [(rng.randint(0, 16),) for _ in range(3)],
        "signature": "n: int",
    }


def longest_word(rng: random.Random) -> dict[str, Any]:
    return {
        "name": "longest_word",
        "params": "sentence",
        "text": "returns the longest whitespace-separated word of `sentence` (the first one on ties; '' when "
        "there is none)",
        "body": "    best = ''\n    for word in sentence.split():\n        if len(word) > len(best):\n"
        "            best = word\n    return best\n",
        "inputs": [(" ".join(rng.sample(WORDS, rng.randint(0, 5))),) for _ in range(4)],
        "signature": "sentence: str",
    }


def pair_count(rng: random.Random) -> dict[str, Any]:
    target = rng.randint(5, 15)
    return {
        "name": f"pairs_summing_to_{target}",
        "params": "numbers",
        "text": f"returns how many index pairs i < j of the list `numbers` have numbers[i] + numbers[j] == {target}",
        "body": f"    count = 0\n    for i in range(len(numbers)):\n        for j in range(i + 1, len(numbers)):\n"
        f"            if numbers[i] + numbers[j] == {target}:\n                count += 1\n"
        "    return count\n",
        "inputs": [(_ints(rng, rng.randint(0, 8), 0, 15),) for _ in range(4)],
        "signature": "numbers: list",
    }


FUNCTION_FAMILIES: tuple[Family, ...] = (
    sum_multiples,
    nth_term,
    count_letters,
    rotate,
    window_max,
    clamp,
    digit_sum,
    fizz,
    longest_word,
    pair_count,
)


# --- stdin/stdout problems -------------------------------------------------------------------------------------


def io_threshold_sum(rng: random.Random) -> dict[str, Any]:
    t = rng.randint(0, 30)

    def case() -> str:
        nums = _ints(rng, rng.randint(1, 8))
        return f"{len(nums)}\n{' '.join(map(str, nums))}\n"

    return {
        "text": f"The first line of input holds n; the second holds n integers. Print the sum of the integers "
        f"greater than {t} (0 if none).",
        "solution": "n = int(input())\nnumbers = list(map(int, input().split()))[:n]\n"
        f"print(sum(x for x in numbers if x > {t}))\n",
        "inputs": [case() for _ in range(3)],
    }


def io_long_words(rng: random.Random) -> dict[str, Any]:
    length = rng.randint(4, 6)
    return {
        "text": f"Read one line of words. Print, on one line separated by single spaces, the words longer than "
        f"{length} characters, in their order (print an empty line if there are none).",
        "solution": f"words = input().split()\nprint(' '.join(w for w in words if len(w) > {length}))\n",
        "inputs": [" ".join(rng.sample(WORDS, rng.randint(1, 6))) + "\n" for _ in range(3)],
    }


def io_sequence(rng: random.Random) -> dict[str, Any]:
    mult, add = rng.randint(2, 4), rng.randint(0, 5)
    return {
        "text": f"Read two integers a and n from one line. Print n lines: a, then each next value is "
        f"{mult} times the previous one plus {add}.",
        "solution": f"a, n = map(int, input().split())\nfor _ in range(n):\n    print(a)\n    a = a * {mult} + {add}\n",
        "inputs": [f"{rng.randint(-3, 9)} {rng.randint(1, 6)}\n" for _ in range(3)],
    }


def io_gcd_lines(rng: random.Random) -> dict[str, Any]:
    def case() -> str:
        rows = [(rng.randint(1, 200), rng.randint(1, 200)) for _ in range(rng.randint(1, 4))]
        return f"{len(rows)}\n" + "".join(f"{a} {b}\n" for a, b in rows)

    scale = rng.randint(1, 3)
    return {
        "text": "The first line holds t; each of the next t lines holds two positive integers a and b. "
        f"For each pair print {scale} times their greatest common divisor on its own line.",
        "solution": "import math\nt = int(input())\nfor _ in range(t):\n    a, b = map(int, input().split())\n"
        f"    print({scale} * math.gcd(a, b))\n",
        "inputs": [case() for _ in range(3)],
    }


IO_FAMILIES: tuple[Family, ...] = (io_threshold_sum, io_long_words, io_sequence, io_gcd_lines)


def run_function(source: str, name: str, args: tuple) -> Any:
    namespace: dict[str, Any] = {}
    exec(source, namespace)  # our own reference solution, written above
    return namespace[name](*args)


def run_script(source: str, stdin: str) -> str:
    import contextlib
    import io
    import sys

    out, saved = io.StringIO(), sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with contextlib.redirect_stdout(out):
            exec(source, {"__name__": "__main__"})
    finally:
        sys.stdin = saved
    return out.getvalue()
