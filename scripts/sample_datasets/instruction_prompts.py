"""IFEval-style instruction-following prompts: a request about a topic plus 1-3 verifiable constraints.

Constraint ids and kwargs are exactly IFEval's, and each is phrased the way IFEval phrases it, so the
rows work with any IFEval-compatible grader.
"""

from __future__ import annotations

import random
from typing import Any

TOPICS = (
    "urban gardening",
    "learning a new language",
    "home composting",
    "marathon training",
    "budget travel",
    "remote work",
    "bird watching",
    "baking bread",
    "saving for retirement",
    "learning to code",
    "public libraries",
    "cycling to work",
    "team meetings",
    "sleep routines",
    "houseplants",
    "board games",
    "volunteering",
    "recycling at home",
    "time management",
    "photography for beginners",
    "public speaking",
    "healthy breakfasts",
    "camping with kids",
    "writing a resume",
    "learning chess",
    "museum visits",
    "home workouts",
    "growing tomatoes",
    "meal planning",
    "dog training",
    "first aid basics",
    "winter driving",
    "saving energy at home",
    "starting a podcast",
    "keeping a journal",
    "hiking safety",
    "job interviews",
    "moving to a new city",
    "studying for exams",
    "starting a book club",
)
REQUESTS = (
    "Write a short blog post about {t}.",
    "Write an email to a friend who is curious about {t}.",
    "Give practical advice to a beginner interested in {t}.",
    "Explain the main benefits of {t} to a busy parent.",
    "Write a short newsletter section about {t}.",
    "Describe how someone could get started with {t} this month.",
    "Write a brief guide to {t} for a community notice board.",
)
YES_NO_REQUESTS = (
    "Is {t} worth trying for someone with little free time?",
    "Would you recommend {t} to a teenager?",
    "Can {t} be done on a small budget?",
)
KEYWORDS = (
    "plan",
    "budget",
    "schedule",
    "community",
    "progress",
    "routine",
    "goal",
    "weekend",
    "notebook",
    "patience",
    "habit",
    "friends",
)
FORBIDDEN = (
    "very",
    "really",
    "basically",
    "literally",
    "awesome",
    "stuff",
    "nice",
    "amazing",
    "totally",
    "actually",
    "obviously",
)
END_PHRASES = (
    "Is there anything else I can help with?",
    "Let me know if you have additional questions.",
    "Happy learning!",
    "That is all for today.",
)
FIRST_WORDS = ("first", "today", "imagine", "finally", "remember", "consider")

# Structural constraints (at most one per row) and modifiers (up to two more).
STRUCTURES = (
    None,
    "detectable_format:number_bullet_lists",
    "length_constraints:number_paragraphs",
    "detectable_format:multiple_sections",
    "length_constraints:nth_paragraph_first_word",
    "detectable_format:json_format",
    "combination:two_responses",
    "detectable_format:constrained_response",
    "combination:repeat_prompt",
)
MODIFIERS = (
    "punctuation:no_comma",
    "change_case:english_lowercase",
    "keywords:existence",
    "keywords:forbidden_words",
    "keywords:frequency",
    "startend:end_checker",
    "detectable_content:postscript",
    "detectable_content:number_placeholders",
    "change_case:capital_word_frequency",
    "startend:quotation",
    "length_constraints:number_words",
    "length_constraints:number_sentences",
    "detectable_format:title",
    "detectable_format:number_highlighted_sections",
)


def draw_kwargs(instruction: str, rng: random.Random, *, request: str) -> dict[str, Any]:
    """IFEval kwargs for one instruction, drawn from sensible ranges."""
    if instruction == "detectable_format:number_bullet_lists":
        return {"num_bullets": rng.randint(2, 5)}
    if instruction == "length_constraints:number_paragraphs":
        return {"num_paragraphs": rng.randint(2, 4)}
    if instruction == "detectable_format:multiple_sections":
        return {"section_spliter": rng.choice(("SECTION", "Section", "PARAGRAPH")), "num_sections": rng.randint(2, 4)}
    if instruction == "length_constraints:nth_paragraph_first_word":
        total = rng.randint(2, 4)
        return {"num_paragraphs": total, "nth_paragraph": rng.randint(1, total), "first_word": rng.choice(FIRST_WORDS)}
    if instruction == "combination:repeat_prompt":
        return {"prompt_to_repeat": request}
    if instruction == "keywords:existence":
        return {"keywords": rng.sample(KEYWORDS, 2)}
    if instruction == "keywords:forbidden_words":
        return {"forbidden_words": rng.sample(FORBIDDEN, 2)}
    if instruction == "keywords:frequency":
        return {"keyword": rng.choice(KEYWORDS), "frequency": rng.randint(2, 4), "relation": "at least"}
    if instruction == "startend:end_checker":
        return {"end_phrase": rng.choice(END_PHRASES)}
    if instruction == "detectable_content:postscript":
        return {"postscript_marker": rng.choice(("P.S.", "P.P.S"))}
    if instruction == "detectable_content:number_placeholders":
        return {"num_placeholders": rng.randint(1, 4)}
    if instruction == "change_case:capital_word_frequency":
        return {"capital_frequency": rng.randint(2, 5), "capital_relation": "at least"}
    if instruction == "length_constraints:number_words":
        if rng.random() < 0.6:
            return {"relation": "at least", "num_words": rng.choice((60, 80, 100, 150, 200))}
        return {"relation": "less than", "num_words": rng.choice((120, 150, 200, 250))}
    if instruction == "length_constraints:number_sentences":
        if rng.random() < 0.5:
            return {"relation": "at least", "num_sentences": rng.randint(3, 8)}
        return {"relation": "less than", "num_sentences": rng.randint(8, 14)}
    if instruction == "detectable_format:number_highlighted_sections":
        return {"num_highlights": rng.randint(1, 3)}
    return {}


def describe(instruction: str, kwargs: dict[str, Any]) -> str:
    """The instruction as IFEval words it."""
    k = kwargs
    texts = {
        "detectable_format:number_bullet_lists": lambda: (
            f"Your answer must contain exactly {k['num_bullets']} "
            "bullet points. Use the markdown bullet points such as:\n* This is point 1.\n* This is point 2"
        ),
        "length_constraints:number_paragraphs": lambda: (
            f"There should be {k['num_paragraphs']} paragraphs. Paragraphs are separated with the markdown divider: ***"
        ),
        "detectable_format:multiple_sections": lambda: (
            f"Your response must have {k['num_sections']} sections. "
            f"Mark the beginning of each section with {k['section_spliter']} X, such as: {k['section_spliter']} 1"
        ),
        "length_constraints:nth_paragraph_first_word": lambda: (
            f"There should be {k['num_paragraphs']} paragraphs. "
            "Paragraphs and only paragraphs are separated with each other by two new lines as if it was '\\n\\n' "
            f"in python. Paragraph {k['nth_paragraph']} must start with word {k['first_word']}."
        ),
        "detectable_format:json_format": lambda: (
            "Entire output should be wrapped in JSON format. You can use markdown ticks such as ```."
        ),
        "combination:two_responses": lambda: (
            "Give two different responses. Responses and only responses should "
            "be separated by 6 asterisk symbols: ******."
        ),
        "detectable_format:constrained_response": lambda: (
            "Answer with one of the following options: ('My answer is yes.', 'My answer is no.', 'My answer is maybe.')"
        ),
        "combination:repeat_prompt": lambda: (
            "First repeat the request word for word without change, then give "
            "your answer (1. do not say any words or characters before repeating the request; 2. the request you "
            "need to repeat does not include this sentence)"
        ),
        "punctuation:no_comma": lambda: "In your entire response, refrain from the use of any commas.",
        "change_case:english_lowercase": lambda: (
            "Your entire response should be in English, and in all lowercase letters. No capital letters are allowed."
        ),
        "keywords:existence": lambda: f"Include keywords {', '.join(k['keywords'])} in the response.",
        "keywords:forbidden_words": lambda: (
            f"Do not include keywords {', '.join(k['forbidden_words'])} in the response."
        ),
        "keywords:frequency": lambda: (
            f"In your response, the word {k['keyword']} should appear {k['relation']} {k['frequency']} times."
        ),
        "startend:end_checker": lambda: (
            f"Finish your response with this exact phrase {k['end_phrase']} No other words should follow this phrase."
        ),
        "detectable_content:postscript": lambda: (
            f"At the end of your response, please explicitly add a postscript starting with {k['postscript_marker']}"
        ),
        "detectable_content:number_placeholders": lambda: (
            f"The response must contain at least "
            f"{k['num_placeholders']} placeholders represented by square brackets, such as [address]."
        ),
        "change_case:capital_word_frequency": lambda: (
            "In your response, words with all capital letters should "
            f"appear {k['capital_relation']} {k['capital_frequency']} times."
        ),
        "startend:quotation": lambda: "Wrap your entire response with double quotation marks.",
        "length_constraints:number_words": lambda: f"Answer with {k['relation']} {k['num_words']} words.",
        "length_constraints:number_sentences": lambda: (
            f"Your response should contain {k['relation']} {k['num_sentences']} sentences."
        ),
        "detectable_format:title": lambda: (
            "Your answer must contain a title, wrapped in double angular brackets, such as <<poem of joy>>."
        ),
        "detectable_format:number_highlighted_sections": lambda: (
            f"Highlight at least {k['num_highlights']} "
            "sections in your answer with markdown, i.e. *highlighted section*."
        ),
    }
    return texts[instruction]()
