"""Every user-facing sentence exists in both languages and formats with its parameters."""

import string

import pytest

from bot import strings


@pytest.mark.parametrize("key", sorted(strings.MESSAGES))
def test_every_message_in_both_languages_with_same_fields(key):
    entry = strings.MESSAGES[key]
    assert set(entry) == set(strings.LANGS)
    fields = [{f for _, f, _, _ in string.Formatter().parse(entry[lang]) if f}
              for lang in strings.LANGS]
    assert fields[0] == fields[1], f"{key}: en and ja take different parameters"


def test_unknown_language_falls_back_to_english():
    assert strings.t("cmd.help", "fr") == strings.MESSAGES["cmd.help"]["en"]


def test_missing_parameter_keeps_the_sentence():
    text = strings.t("reject.too_large", "en", name="a.png")
    assert text.startswith("a.png is too large") and "?" in text


def test_unknown_key_is_a_bug():
    with pytest.raises(KeyError):
        strings.t("no.such.key", "en")


def test_every_retake_tip_the_reader_gives_has_a_sentence():
    """The reader names tips by key; a missing key fell back to the generic tip silently."""
    from bot.receipts import reader

    for key in (reader.TIP_BLUR, reader.TIP_DARK, reader.TIP_SMALL):
        assert key in strings.MESSAGES
        assert strings.t(key, "ja") != strings.t(key, "en")
