"""Every user-facing sentence exists in both languages and formats with its parameters."""

import re
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


# What people in a channel must never read (issue 22): settings, environment variables, commands
# for operators, file paths and internal names. ``/miru …`` is a user's own command and passes.
_OPERATOR_TEXT = re.compile(
    r"MIRU_"  # Miru's settings
    r"|\b[A-Z][A-Z0-9]+_[A-Z0-9_]+\b"  # any environment-variable-like token (HF_HUB_OFFLINE)
    r"|(?<![/\w])miru [a-z]"  # a `miru …` command line (not the slash command `/miru …`)
    r"|\b[a-z]+_[a-z0-9_]+\b"  # snake_case: an internal field or code (registration_number)
    r"|\b[a-z]+:(?:read|write|history)\b"  # an OAuth scope (files:read)
    r"|docs/|\.md\b|\.toml\b|\.py\b"  # paths into the repository
    r"|(?i:\b(?:operator|configured|redis|oauth|reinstall)\b)"  # set-up talk
    r"|設定されていない|オペレーター|環境変数")


def _operator_words(text: str) -> list[str]:
    without_params = re.sub(r"\{[^}]*\}", "", text)
    return _OPERATOR_TEXT.findall(without_params)


def test_the_scan_finds_what_the_old_no_model_note_said():
    """The note every first answer carried before issue 22: the scan must catch it."""
    old = ("No vision model is configured, so I answer from the text I can read in the image. "
           "To add one, an operator sets MIRU_VLM_BACKEND=transformers; see docs/models.md.")
    assert len(_operator_words(old)) >= 4
    assert _operator_words("Not complete (missing: registration_number)")
    assert _operator_words("add the files:read permission")
    assert _operator_words("run `miru models pull` once online")
    assert not _operator_words("You can appeal once with /miru appeal {case}.")


@pytest.mark.parametrize("key", sorted(k for k in strings.MESSAGES if strings.in_channel(k)))
def test_no_sentence_for_a_channel_speaks_to_operators(key):
    for lang in strings.LANGS:
        found = _operator_words(strings.MESSAGES[key][lang])
        assert not found, f"{key} ({lang}) shows people in a channel: {found}"


def test_operator_notes_are_kept_out_of_channels():
    assert not strings.in_channel("operator.model_not_cached")
    assert not strings.in_channel("api.unauthorized")
    assert strings.in_channel("ocr.no_model")
