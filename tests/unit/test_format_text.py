"""The text helpers behind the IFEval checks: sentence splitting, word counts, linear scanners.

The scanners replace IFEval's regular expressions (which backtrack quadratically on long blank
runs); random texts check that they count exactly what those expressions count.
"""

from __future__ import annotations

import random
import re

import pytest

from graders.format_rules.detectable_content import count_placeholders
from graders.format_rules.detectable_format import count_bullets, has_title
from graders.format_rules.sentences import count_sentences, split_sentences
from graders.format_rules.words import count_capital_words, count_words, treebank_tokens


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("Dr. Smith went home. He was tired.", ["Dr. Smith went home.", "He was tired."]),
        ("We met Mr. Brown at 5 p.m. on Friday.", ["We met Mr. Brown at 5 p.m. on Friday."]),
        ("U.S. troops left. The war ended.", ["U.S. troops left.", "The war ended."]),
        ("Use e.g. this one. Then stop.", ["Use e.g.", "this one.", "Then stop."]),  # Punkt breaks after e.g.
        ("J. K. Rowling wrote it. She is British.", ["J. K. Rowling wrote it.", "She is British."]),
        ("Outline:\nI. Introduction\nA. Brief history", ["Outline:\nI.", "Introduction\nA.", "Brief history"]),
        ("Steps:\n1. mix well\n2. Bake", ["Steps:\n1. mix well\n2.", "Bake"]),
        ('He said "Stop." Then he left.', ['He said "Stop."', "Then he left."]),
        ("Very bad acting!!! I promise.", ["Very bad acting!!!", "I promise."]),
        ("Wait... The end.", ["Wait...", "The end."]),
        ("Wait... and then", ["Wait... and then"]),
        ("xx,x. xx,x! xx/x. x{x}x?", ["xx,x.", "xx,x!", "xx/x.", "x{x}x?"]),
        ("", []),
        ("   \n  ", []),
    ],
)
def test_sentence_splitting_follows_punkt(text, sentences):
    assert split_sentences(text) == sentences
    assert count_sentences(text) == len(sentences)


def test_word_count_is_the_number_of_word_character_runs():
    rng = random.Random(7)
    for _ in range(2_000):
        text = "".join(
            rng.choice(["a", "B", " ", "é", "_", "-", "\n", "7", ",", "'"]) for _ in range(rng.randint(0, 15))
        )
        assert count_words(text) == len(re.findall(r"\w+", text)), text


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("I DON'T KNOW.", ["I", "DO", "N'T", "KNOW", "."]),
        ("IT'S AT&T, (REALLY)!", ["IT", "'S", "AT", "&", "T", ",", "(", "REALLY", ")", "!"]),
        ("WAIT...WHAT **NOW**", ["WAIT", "...", "WHAT", "*", "*", "NOW", "*", "*"]),
        ("WE CANNOT GO", ["WE", "CAN", "NOT", "GO"]),
    ],
)
def test_treebank_tokens(text, tokens):
    assert treebank_tokens(text) == tokens


def test_capital_words_count_only_all_capital_tokens():
    assert count_capital_words("THERE are Four FULLY CAPITAL WORDS. Many Others Are Only Partially So.") == 4
    assert count_capital_words("no capitals at all, none.") == 0
    assert count_capital_words("Ending with a quote THEY'\nNEXT") == count_capital_words(
        "Ending with a quote THEY' NEXT"
    )


REFERENCE_BULLETS = (re.compile(r"^\s*\*[^\*].*$", re.MULTILINE), re.compile(r"^\s*-.*$", re.MULTILINE))
PIECES = ["*", "**", "***", "-", " ", "\n", "\n\n", "a", "b c", "\t", "[", "]", "<<", ">>", "<", ">"]


def test_scanners_count_what_the_ifeval_patterns_count():
    rng = random.Random(11)
    for _ in range(20_000):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 25)))
        assert count_bullets(text) == sum(len(p.findall(text)) for p in REFERENCE_BULLETS), repr(text)
        titles = re.findall(r"<<[^\n]+>>", text)
        assert has_title(text) == any(t.lstrip("<").rstrip(">").strip() for t in titles), repr(text)
        assert count_placeholders(text) == len(re.findall(r"\[.*?\]", text)), repr(text)


@pytest.mark.timeout(60)
def test_scanners_stay_linear_on_degenerate_answers():
    # IFEval's patterns backtrack quadratically here; the scanners read each character once.
    blank_run = "\n" * 200_000 + "x"
    brackets = "[" * 200_000
    titles = "<<" * 100_000
    assert count_bullets(blank_run) == 0
    assert count_placeholders(brackets) == 0
    assert not has_title(titles)
    assert count_sentences(". " * 50_000) >= 1
