"""``/miru help``: every command, on every platform, in the caller's language.

The lines that differ by platform come from what its adapter says it has (``PlatformInfo``:
``/miru ask`` where a slash command can carry a file, a home tab or ``/miru settings``), never
from the platform's name. ``/miru admin`` is listed for admins only.
"""

from __future__ import annotations

from bot import strings
from bot.ports import PlatformInfo

COMMON = ("help.receipts", "help.history", "help.lang", "help.forget", "help.appeal")


def help_keys(info: PlatformInfo, *, admin: bool) -> list[str]:
    """The ``bot.strings`` keys of the help's lines, in order."""
    ask = "help.ask_command" if info.ask_command else "help.ask_mention"
    settings = "help.settings_home" if info.home_tab else "help.settings_command"
    return ["cmd.help", ask, *COMMON, settings, "help.help", *(["help.admin"] if admin else [])]


def help_text(lang: str, info: PlatformInfo, *, admin: bool) -> str:
    return "\n".join(strings.t(key, lang) for key in help_keys(info, admin=admin))
