"""Discord's ``/miru`` descriptions in the reader's language: each is a ``locale_str`` carrying
its ``bot.strings`` key, and ``MiruTranslator`` (the command tree's translator) gives Discord the
Japanese and English text at sync time (``description_localizations``), so the command picker
reads in the language of the person's Discord client."""

from __future__ import annotations

from discord import Locale
from discord.app_commands import TranslationContextTypes, Translator, locale_str

from bot import strings

LOCALES = {Locale.japanese: "ja", Locale.american_english: "en", Locale.british_english: "en"}


def text(key: str) -> locale_str:
    """A description: English by default (what Discord shows any other locale), translatable."""
    return locale_str(strings.t(key, "en"), key=key)


class MiruTranslator(Translator):
    """Descriptions from ``bot.strings`` for Discord's Japanese and English locales; None (the
    default text) for every other locale and for strings without a key."""

    async def translate(self, string: locale_str, locale: Locale,
                        context: TranslationContextTypes) -> str | None:
        key = string.extras.get("key")
        lang = LOCALES.get(locale)
        if not key or lang is None:
            return None
        return strings.t(key, lang)
