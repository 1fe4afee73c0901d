"""Commands as typed values: what a user can ask of Miru besides a question about an image.

Each adapter builds these from its own input (Slack parses the ``/miru`` text with
``parse_command``; Discord's application commands give typed options) and hands them to
``bot.core.gateway.Gateway.run_command``, which returns the sentence to show.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Help:
    """Show what Miru does and which commands exist."""


@dataclass(frozen=True)
class Forget:
    """Delete the caller's thread memory and cached images on this platform."""


@dataclass(frozen=True)
class SetLanguage:
    """Answer the caller in ``lang`` from now on (``ja`` or ``en``; anything else shows usage)."""

    lang: str


@dataclass(frozen=True)
class History:
    """``on`` / ``off``: keep the caller's conversations or not; ``""`` asks for the current
    setting (and what is kept, for how long); anything else shows usage."""

    setting: str = ""
    channel: str = ""  # where it was asked: the status also tells that channel's policy


@dataclass(frozen=True)
class Appeal:
    """``/miru appeal CASE``: the uploader sends a rejected review case back once."""

    case: str = ""


@dataclass(frozen=True)
class AnswerConsent:
    """The caller pressed a consent button on the prompt of ``request_id``."""

    request_id: str
    confirmed: bool


@dataclass(frozen=True)
class Unknown:
    """Input that names no command (``text`` as the user typed it)."""

    text: str


Command = Help | Forget | SetLanguage | History | Appeal | AnswerConsent | Unknown


def parse_command(text: str, *, channel: str = "") -> Command:
    """``help | forget | lang ja|en | history [on|off]`` as typed after a slash command; empty
    text is ``Help``. ``channel``: where it was typed (``history`` tells that channel's policy)."""
    words = text.split()
    if not words:
        return Help()
    verb = words[0].lower()
    if verb == "help":
        return Help()
    if verb == "forget":
        return Forget()
    if verb == "lang":
        return SetLanguage(words[1].lower() if len(words) > 1 else "")
    if verb == "history":
        return History(" ".join(words[1:]).lower(), channel)
    if verb == "appeal":
        return Appeal(words[1][:64] if len(words) == 2 else "")
    return Unknown(text)
