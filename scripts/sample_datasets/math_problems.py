"""GSM8K-style word problem templates: each draws numbers from a seeded RNG and returns the exact answer.

Numbers are chosen so the answer is exact (an integer, or a short decimal for money), which is what
the math grader checks against.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from fractions import Fraction

NAMES = (
    "Ava",
    "Ben",
    "Chloe",
    "Diego",
    "Emma",
    "Farid",
    "Grace",
    "Hiro",
    "Isla",
    "Jamal",
    "Kira",
    "Liam",
    "Maya",
    "Noah",
    "Olga",
    "Priya",
    "Quinn",
    "Rosa",
    "Sam",
    "Tariq",
    "Uma",
    "Victor",
    "Wen",
    "Yara",
    "Zoe",
)
ITEMS = ("stickers", "marbles", "pencils", "cookies", "stamps", "beads", "cards", "apples", "crayons", "shells")

Problem = tuple[str, str, int | Fraction]  # (topic, question, answer)


def _name(rng: random.Random) -> str:
    return rng.choice(NAMES)


def packs(rng: random.Random) -> Problem:
    name, item = _name(rng), rng.choice(ITEMS)
    a, b = rng.randint(3, 12), rng.randint(4, 15)
    c = rng.randint(1, a * b - 1)
    return (
        "arithmetic",
        f"{name} buys {a} packs of {item}. Each pack has {b} {item}. {name} gives away {c} "
        f"of them to friends. How many {item} does {name} have left?",
        a * b - c,
    )


def train_distance(rng: random.Random) -> Problem:
    s1, h1, s2, h2 = rng.randint(40, 120), rng.randint(1, 5), rng.randint(40, 120), rng.randint(1, 5)
    return (
        "rates",
        f"A train travels at {s1} km per hour for {h1} hours and then at {s2} km per hour for "
        f"{h2} hours. How many kilometers does it travel in total?",
        s1 * h1 + s2 * h2,
    )


def wages(rng: random.Random) -> Problem:
    name = _name(rng)
    w, h, n = rng.randint(9, 25), rng.randint(5, 20), rng.randint(2, 6)
    x = rng.randint(20, w * h * n - 1)
    return (
        "money",
        f"{name} earns ${w} per hour and works {h} hours each week. After {n} weeks {name} spends "
        f"${x} on a bicycle. How many dollars does {name} have left?",
        w * h * n - x,
    )


def discount(rng: random.Random) -> Problem:
    price, off = 20 * rng.randint(2, 15), 5 * rng.randint(1, 14)
    return (
        "percentages",
        f"A jacket costs ${price}. It is on sale for {off}% off. What is the sale price in dollars?",
        Fraction(price * (100 - off), 100),
    )


def bus_riders(rng: random.Random) -> Problem:
    den = rng.choice((3, 4, 5, 6, 8))
    num = rng.randint(1, den - 1)
    n = den * rng.randint(3, 12)
    return (
        "fractions",
        f"A school has {n} students. {num}/{den} of them walk to school and the rest take the "
        "bus. How many students take the bus?",
        n - n * num // den,
    )


def average_needed(rng: random.Random) -> Problem:
    name = _name(rng)
    scores = [rng.randint(60, 95) for _ in range(3)]
    target = rng.randint(max(scores) - 5, 95)
    needed = 4 * target - sum(scores)
    if not 0 < needed <= 100:
        return average_needed(rng)
    return (
        "averages",
        f"{name} scored {scores[0]}, {scores[1]} and {scores[2]} points on three tests. What "
        f"score does {name} need on the fourth test to average exactly {target} points?",
        needed,
    )


def ages(rng: random.Random) -> Problem:
    a, b = _name(rng), _name(rng)
    while b == a:
        b = _name(rng)
    age, k, y = rng.randint(3, 12), rng.randint(2, 5), rng.randint(2, 15)
    return (
        "arithmetic",
        f"{a} is {age} years old. {b} is {k} times as old as {a}. How old will {b} be in {y} years?",
        age * k + y,
    )


def garden_path(rng: random.Random) -> Problem:
    length, width, path = rng.randint(5, 30), rng.randint(4, 20), rng.randint(1, 3)
    area = (length + 2 * path) * (width + 2 * path) - length * width
    return (
        "geometry",
        f"A rectangular garden is {length} meters long and {width} meters wide. A path {path} "
        "meter(s) wide runs all around the outside of the garden. What is the area of the path in "
        "square meters?",
        area,
    )


def recipe(rng: random.Random) -> Problem:
    cups, batch = rng.randint(2, 6), rng.choice((12, 18, 24, 30))
    wanted = batch * rng.randint(2, 6)
    return (
        "ratios",
        f"A recipe uses {cups} cups of flour to make {batch} cookies. How many cups of flour are "
        f"needed to make {wanted} cookies?",
        Fraction(cups * wanted, batch),
    )


def workers(rng: random.Random) -> Problem:
    m = rng.randint(2, 12)
    days_for_m = rng.randint(2, 15)
    n = rng.choice([d for d in range(2, 25) if (m * days_for_m) % d == 0 and d != m] or [1])
    return (
        "rates",
        f"{n} workers can build a wall in {m * days_for_m // n} days. Working at the same rate, "
        f"how many days would {m} workers need?",
        days_for_m,
    )


def vans(rng: random.Random) -> Problem:
    k = rng.randint(6, 15)
    n = rng.randint(20, 200)
    return (
        "division",
        f"{n} students are going on a trip. Each van holds {k} students. What is the smallest number of vans needed?",
        -(-n // k),
    )


def change(rng: random.Random) -> Problem:
    name = _name(rng)
    a, b, x, y = rng.randint(1, 4), rng.randint(3, 9), rng.randint(2, 6), rng.randint(1, 4)
    bill = 50 if a * x + b * y < 50 else 100
    return (
        "money",
        f"Pens cost ${a} each and notebooks cost ${b} each. {name} buys {x} pens and {y} "
        f"notebooks and pays with a ${bill} bill. How many dollars of change does {name} get?",
        bill - a * x - b * y,
    )


def plant(rng: random.Random) -> Problem:
    h, g, w = rng.randint(5, 40), rng.randint(2, 9), rng.randint(3, 12)
    return (
        "arithmetic",
        f"A plant is {h} cm tall and grows {g} cm every week. How tall is it, in cm, after {w} weeks?",
        h + g * w,
    )


def savings(rng: random.Random) -> Problem:
    name = _name(rng)
    a, b, n = rng.randint(5, 20), rng.randint(1, 5), rng.randint(4, 10)
    return (
        "sequences",
        f"{name} saves ${a} in the first week and each week saves ${b} more than the week "
        f"before. How many dollars has {name} saved in total after {n} weeks?",
        n * a + b * n * (n - 1) // 2,
    )


def population(rng: random.Random) -> Problem:
    p, r = 100 * rng.randint(20, 300), rng.randint(2, 15)
    return (
        "percentages",
        f"A town had {p} residents. The population grew by {r}% last year. How many residents does the town have now?",
        p + p * r // 100,
    )


def notebooks(rng: random.Random) -> Problem:
    name = _name(rng)
    n, cents = rng.randint(2, 9), rng.choice((125, 150, 175, 225, 250, 275, 320, 350))
    return (
        "money",
        f"{name} buys {n} notebooks that cost ${cents / 100:.2f} each. How many dollars does {name} spend?",
        Fraction(n * cents, 100),
    )


def pets_ratio(rng: random.Random) -> Problem:
    a, b = rng.randint(1, 5), rng.randint(1, 5)
    total = (a + b) * rng.randint(3, 15)
    return (
        "ratios",
        f"The ratio of cats to dogs at a shelter is {a}:{b}. There are {total} cats and dogs in "
        "total. How many dogs are there?",
        total * b // (a + b),
    )


def glasses(rng: random.Random) -> Problem:
    liters, ml = rng.randint(1, 5), rng.choice((150, 200, 250, 300, 330))
    return (
        "units",
        f"A bottle holds {liters} liters of juice. Each glass holds {ml} milliliters. How many "
        "glasses can be filled completely?",
        liters * 1000 // ml,
    )


def temperature(rng: random.Random) -> Problem:
    t, d = rng.randint(-5, 12), rng.randint(5, 20)
    return (
        "integers",
        f"The temperature was {t} degrees Celsius at noon and dropped by {d} degrees by "
        "midnight. What was the temperature at midnight in degrees Celsius?",
        t - d,
    )


def orchard(rng: random.Random) -> Problem:
    k = rng.choice((6, 8, 10, 12))
    rows, trees, apples = rng.randint(2, 9), rng.randint(3, 12), k * rng.randint(2, 9)
    return (
        "arithmetic",
        f"A farmer has {rows} rows of {trees} apple trees. Each tree gives {apples} apples, "
        f"and apples are packed in boxes of {k}. How many boxes can be filled?",
        rows * trees * apples // k,
    )


def reading(rng: random.Random) -> Problem:
    name = _name(rng)
    per_day, days = rng.randint(10, 40), rng.randint(3, 9)
    total = per_day * days + rng.randint(5, 200)
    return (
        "arithmetic",
        f"A book has {total} pages. {name} reads {per_day} pages every day. How many pages are left after {days} days?",
        total - per_day * days,
    )


def tickets(rng: random.Random) -> Problem:
    adult, child = rng.randint(8, 20), rng.randint(3, 9)
    a, c = rng.randint(1, 4), rng.randint(1, 5)
    return (
        "money",
        f"Museum tickets cost ${adult} for adults and ${child} for children. A family of {a} "
        f"adults and {c} children visits the museum twice this year. How many dollars do they spend on "
        "tickets?",
        2 * (a * adult + c * child),
    )


TEMPLATES: tuple[Callable[[random.Random], Problem], ...] = (
    packs,
    train_distance,
    wages,
    discount,
    bus_riders,
    average_needed,
    ages,
    garden_path,
    recipe,
    workers,
    vans,
    change,
    plant,
    savings,
    population,
    notebooks,
    pets_ratio,
    glasses,
    temperature,
    orchard,
    reading,
    tickets,
)


def format_answer(value: int | Fraction) -> str:
    """An exact answer as the shortest decimal text: 12, 12.5, -3."""
    value = Fraction(value)
    if value.denominator == 1:
        return str(value.numerator)
    text = f"{float(value):.6f}".rstrip("0").rstrip(".")
    if Fraction(text) != value:
        raise ValueError(f"{value} has no short decimal form")
    return text
