"""IFEval ``language:response_language``, and the language detector the change-case checks share.

``langdetect`` ships its language profiles inside the package, so nothing is downloaded.
It is seeded (``DetectorFactory.seed = 0``) because its sampling is random otherwise and
the same answer must always get the same reward. Like IFEval, a text langdetect cannot
classify (no letters) counts as following the instruction.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from .arguments import BadKwargs, Check, KwargReader, RowContext

LOGGER = logging.getLogger("graders.format")

# The languages IFEval itself offers (ISO 639-1), for the docs and error messages.
IFEVAL_LANGUAGES = [
    "en",
    "es",
    "pt",
    "ar",
    "hi",
    "fr",
    "ru",
    "de",
    "ja",
    "it",
    "bn",
    "uk",
    "th",
    "ur",
    "ta",
    "te",
    "bg",
    "ko",
    "pl",
    "he",
    "fa",
    "vi",
    "ne",
    "sw",
    "kn",
    "mr",
    "gu",
    "pa",
    "ml",
    "fi",
]


@lru_cache(maxsize=1)
def _langdetect() -> Any:  # langdetect ships no type information
    import langdetect
    from langdetect import DetectorFactory

    DetectorFactory.seed = 0
    return langdetect


@lru_cache(maxsize=1)
def supported_languages() -> frozenset[str]:
    import os

    from langdetect.detector_factory import PROFILES_DIRECTORY

    return frozenset(os.listdir(PROFILES_DIRECTORY))


@lru_cache(maxsize=128)  # a row may ask for the language and a case rule
def detect_language(text: str) -> str | None:
    """The language code langdetect gives ``text``, or None when it cannot tell."""
    langdetect = _langdetect()
    try:
        return str(langdetect.detect(text))
    except langdetect.LangDetectException as exc:
        LOGGER.debug("language of a response not detected: %s", exc)
        return None


def is_language(text: str, code: str) -> bool:
    detected = detect_language(text)
    if detected is None:
        return True  # IFEval: an undetectable text does not break the instruction
    return detected == code or detected.split("-")[0] == code


def response_language(kwargs: Mapping[str, Any], context: RowContext) -> Check:
    args = KwargReader(kwargs)
    code = args.text("language").lower()
    args.finish()
    known = supported_languages()
    if code not in known and not any(name.split("-")[0] == code for name in known):
        raise BadKwargs(f"language {code!r} is not one langdetect knows: {sorted(known)}")
    return lambda response: is_language(response, code)


INSTRUCTIONS = {
    "language:response_language": response_language,
}
