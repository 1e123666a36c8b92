"""Plain English sentences for synthetic responses.

Written so that they never trip an IFEval rule by accident: no commas, no all-capital words (not even
"I"), no bullets or asterisks, no brackets, and none of the words the sample data forbids.
"""

from __future__ import annotations

import random

# Words the sample data may forbid; the sentences below never use them.
FORBIDDEN_CANDIDATES = (
    "very",
    "really",
    "basically",
    "literally",
    "awesome",
    "stuff",
    "thing",
    "things",
    "nice",
    "amazing",
    "totally",
    "actually",
    "simply",
    "just",
    "obviously",
)
CAPITAL_WORDS = ("KEY", "NOTE", "FOCUS", "PLAN", "NEXT", "STEP", "ACT", "NOW", "TODAY", "ALWAYS")
PLACEHOLDERS = ("[name]", "[date]", "[address]", "[phone]", "[email]", "[company]", "[city]", "[time]")

_TEMPLATES = (
    ("{T} rewards {quality} and steady practice.", "quality"),
    ("Most people start {t} with a {size} plan and grow from there.", "size"),
    ("A clear goal makes {t} easier to {verb}.", "verb"),
    ("Experts suggest setting aside {amount} each week for {t}.", "amount"),
    ("The first month of {t} is mostly about learning the {noun}.", "noun"),
    ("Small wins in {t} build {quality} over time.", "quality"),
    ("Keeping notes helps you see how {t} changes from week to week.", None),
    ("Friends and family can make {t} more fun to {verb}.", "verb"),
    ("Good habits in {t} come from doing a little every day.", None),
    ("Many beginners find that {t} takes less time than they feared.", None),
    ("A {size} budget is enough to get started with {t}.", "size"),
    ("The best results in {t} come from {quality} rather than speed.", "quality"),
    ("Local groups often share tips about {t} with newcomers.", None),
    ("Reading one short guide about {t} can save hours of trial and error.", None),
    ("It helps to review your progress in {t} at the end of each month.", None),
    ("The right tools make {t} more comfortable and more pleasant.", None),
    ("Most problems in {t} have simple causes that are easy to fix.", None),
    ("People who enjoy {t} often talk about the {noun} first.", "noun"),
)
_SLOTS = {
    "quality": ("patience", "curiosity", "focus", "care", "consistency", "attention"),
    "size": ("small", "modest", "simple", "short", "gentle"),
    "verb": ("follow", "manage", "enjoy", "measure", "explain", "repeat"),
    "amount": ("an hour", "two hours", "a quiet evening", "one morning", "thirty minutes"),
    "noun": ("basics", "tools", "vocabulary", "routines", "common mistakes", "safety rules"),
}


def body_sentences(topic: str, rng: random.Random) -> list[str]:
    """Every distinct sentence the templates make about ``topic``, in a seeded order that uses each
    template once before using any template again (so short answers do not repeat themselves)."""
    values = {"T": topic[:1].upper() + topic[1:], "t": topic}
    groups = []
    for template, slot in _TEMPLATES:
        fillers = list(_SLOTS[slot]) if slot else [""]
        rng.shuffle(fillers)
        groups.append([template.format(**values, **({slot: f} if slot else {})) for f in fillers])
    rng.shuffle(groups)
    rounds = max(len(g) for g in groups)
    return [g[i] for i in range(rounds) for g in groups if i < len(g)]


def opposite_sentences(topic: str) -> list[str]:
    """A second, different answer (for 'give two responses')."""
    return [
        f"Another view is that {topic} works best as a shared activity.",
        f"Working with others turns {topic} into a weekly habit that lasts.",
    ]
