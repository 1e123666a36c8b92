"""Templates for tool-calling rows: OpenAI function schemas, a request, and the calls that answer it."""

from __future__ import annotations

import random
from typing import Any

CITIES = (
    "Paris",
    "Lisbon",
    "Osaka",
    "Toronto",
    "Nairobi",
    "Lima",
    "Oslo",
    "Hanoi",
    "Denver",
    "Cairo",
    "Perth",
    "Vienna",
    "Bogota",
    "Dublin",
    "Seoul",
    "Zurich",
)
CURRENCIES = ("USD", "EUR", "GBP", "JPY", "CHF", "CAD")
SYMBOLS = ("AMZN", "MSFT", "NVDA", "SAP", "TSLA", "SONY", "ASML")
NAMES = ("Ana", "Bruno", "Chen", "Dara", "Elif", "Farid", "Grace", "Hugo", "Ines", "Jonas")
TASKS = ("water the plants", "call the dentist", "submit the report", "buy milk", "stretch", "back up the laptop")


def _function(name: str, description: str, properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {
                "type": "object",
                "properties": properties,
                "required": required,
                "additionalProperties": False,
            },
        },
    }


TOOLS = {
    "get_weather": _function(
        "get_weather",
        "Current weather for a city.",
        {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
        ["city"],
    ),
    "convert_currency": _function(
        "convert_currency",
        "Convert an amount between currencies.",
        {
            "amount": {"type": "number", "minimum": 0},
            "source": {"type": "string", "enum": list(CURRENCIES)},
            "target": {"type": "string", "enum": list(CURRENCIES)},
        },
        ["amount", "source", "target"],
    ),
    "book_table": _function(
        "book_table",
        "Reserve a restaurant table.",
        {
            "city": {"type": "string"},
            "party_size": {"type": "integer", "minimum": 1, "maximum": 20},
            "time": {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"},
        },
        ["city", "party_size", "time"],
    ),
    "get_stock_price": _function(
        "get_stock_price", "Latest price of a stock.", {"symbol": {"type": "string"}}, ["symbol"]
    ),
    "set_reminder": _function(
        "set_reminder",
        "Remind the user after some minutes.",
        {"text": {"type": "string"}, "minutes": {"type": "integer", "minimum": 1}},
        ["text", "minutes"],
    ),
    "send_message": _function(
        "send_message",
        "Send a chat message to a contact.",
        {"recipient": {"type": "string"}, "text": {"type": "string"}, "urgent": {"type": "boolean"}},
        ["recipient", "text"],
    ),
}


def weather(rng: random.Random) -> tuple[str, list[dict[str, Any]]]:
    city, unit = rng.choice(CITIES), rng.choice(("celsius", "fahrenheit"))
    return f"What's the weather like in {city} right now? Give it to me in {unit}.", [
        {"name": "get_weather", "arguments": {"city": city, "unit": unit}}
    ]


def two_cities(rng: random.Random) -> tuple[str, list[dict[str, Any]]]:
    a, b = rng.sample(CITIES, 2)
    return f"Compare the current weather in {a} and {b} (celsius).", [
        {"name": "get_weather", "arguments": {"city": a, "unit": "celsius"}},
        {"name": "get_weather", "arguments": {"city": b, "unit": "celsius"}},
    ]


def currency(rng: random.Random) -> tuple[str, list[dict[str, Any]]]:
    source, target = rng.sample(CURRENCIES, 2)
    amount = rng.choice((rng.randint(5, 900), round(rng.uniform(1, 500), 2)))
    return f"How much is {amount} {source} in {target}?", [
        {"name": "convert_currency", "arguments": {"amount": amount, "source": source, "target": target}}
    ]


def booking(rng: random.Random) -> tuple[str, list[dict[str, Any]]]:
    city, size = rng.choice(CITIES), rng.randint(2, 8)
    time = f"{rng.randint(18, 21)}:{rng.choice(('00', '15', '30', '45'))}"
    return f"Book a table for {size} people in {city} at {time}.", [
        {"name": "book_table", "arguments": {"city": city, "party_size": size, "time": time}}
    ]


def stocks(rng: random.Random) -> tuple[str, list[dict[str, Any]]]:
    picks = rng.sample(SYMBOLS, rng.randint(1, 3))
    listed = ", ".join(picks[:-1]) + " and " + picks[-1] if len(picks) > 1 else picks[0]
    return f"Get me the latest price of {listed}.", [
        {"name": "get_stock_price", "arguments": {"symbol": s}} for s in picks
    ]


def reminder(rng: random.Random) -> tuple[str, list[dict[str, Any]]]:
    task, minutes = rng.choice(TASKS), rng.choice((5, 10, 15, 20, 30, 45, 60, 90))
    return f"Remind me to {task} in {minutes} minutes.", [
        {"name": "set_reminder", "arguments": {"text": task, "minutes": minutes}}
    ]


def message(rng: random.Random) -> tuple[str, list[dict[str, Any]]]:
    who, urgent = rng.choice(NAMES), rng.random() < 0.5
    text = rng.choice(("I'm running late", "Meeting moved to 3pm", "Dinner is ready", "Call me back"))
    flag = " It's urgent." if urgent else " No rush."
    return f'Send {who} a message saying "{text}".{flag}', [
        {"name": "send_message", "arguments": {"recipient": who, "text": text, "urgent": urgent}}
    ]


def trip(rng: random.Random) -> tuple[str, list[dict[str, Any]]]:
    city, size = rng.choice(CITIES), rng.randint(2, 6)
    time = f"{rng.randint(19, 21)}:00"
    return (
        f"I'm heading to {city} tonight: check the weather there in celsius and book a table for {size} at {time}."
    ), [
        {"name": "get_weather", "arguments": {"city": city, "unit": "celsius"}},
        {"name": "book_table", "arguments": {"city": city, "party_size": size, "time": time}},
    ]


FAMILIES = (weather, two_cities, currency, booking, stocks, reminder, message, trip)
SYSTEM = "You can call the functions provided. Call them to answer; do not make up results."


def tools_for(rng: random.Random, calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    needed = list(dict.fromkeys(c["name"] for c in calls))
    extra = rng.sample([n for n in TOOLS if n not in needed], rng.randint(1, 3))
    names = needed + extra
    rng.shuffle(names)
    return [TOOLS[n] for n in names]
