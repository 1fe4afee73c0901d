"""One message of an expense thread, understood: a command, a question, or why it is neither.

``understand(text, today=..., asker=...)`` tries, in order:

1. approvals, reports and exports (``bot.receipts.commands``): strict forms that no question
   or correction takes;
2. questions (``bot.receipts.queries``), when the message reads as one: "#1 total?" is a
   question, never a correction to "?";
3. corrections and the other thread commands (``bot.receipts.corrections``: "total 1280",
   "remove 2", "undo", "summary");
4. a message the corrections grammar does not know, read once more as a question without its
   question mark ("今月の交通費").

What is left is ``Unknown``: the thread answers with examples of questions and corrections,
not "that is no correction". A malformed correction keeps its own ``ParseError`` (its reason).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.receipts.commands import Command, parse_command
from bot.receipts.corrections import ParseError, ThreadCommand, parse
from bot.receipts.queries import Query, UnknownQuestion, is_question, parse_question


@dataclass(frozen=True)
class Unknown:
    """Neither a command nor a question the thread understands."""


Understood = ThreadCommand | Command | Query | UnknownQuestion | ParseError | Unknown


def understand(text: str, *, today: date, asker: str = "") -> Understood:
    command = parse_command(text, today=today, asker=asker)
    if command is not None:
        return command
    if is_question(text):
        return parse_question(text, today=today, asker=asker) or UnknownQuestion()
    parsed = parse(text)
    if isinstance(parsed, ParseError) and parsed.key == "receipts.unknown":
        return parse_question(text, today=today, asker=asker, lenient=True) or Unknown()
    return parsed
