"""One logging set-up: stdlib and structlog records through one handler, JSON off a terminal."""

from __future__ import annotations

import io
import json
import logging

import pytest
import structlog

from bot.logsetup import REDACTED, configure_logging
from config.settings import Settings, SettingsError, load_settings


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def restore_logging():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for h in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(h)
    root.setLevel(level)
    structlog.reset_defaults()


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_stdlib_and_structlog_both_come_out_as_json_lines():
    out = io.StringIO()
    configure_logging(Settings(log_level="info"), stream=out)
    logging.getLogger("bot.jobs.worker").warning("job %s failed", "j-1", extra={"attempt": 2})
    structlog.get_logger("handlers.slack").info("slack.reply_failed", error="Timeout")
    first, second = lines(out)
    assert first["level"] == "warning" and first["event"] == "job j-1 failed"
    assert first["logger"] == "bot.jobs.worker" and first["attempt"] == 2 and "timestamp" in first
    assert second["level"] == "info" and second["event"] == "slack.reply_failed"
    assert second["logger"] == "handlers.slack" and second["error"] == "Timeout"


def test_level_filters_both_kinds():
    out = io.StringIO()
    configure_logging("WARNING", stream=out)
    logging.getLogger("bot.app").info("quiet")
    structlog.get_logger("bot.imaging.decoder").info("quiet_too")
    structlog.get_logger("bot.imaging.decoder").error("loud", restarts=3)
    assert [r["event"] for r in lines(out)] == ["loud"]


def test_a_terminal_gets_readable_lines_not_json():
    out = Terminal()
    configure_logging("INFO", stream=out)
    structlog.get_logger("bot.imaging.decoder").warning("decoder_pool_restarted", reason="timeout")
    text = out.getvalue()
    assert "decoder_pool_restarted" in text and "reason" in text and "timeout" in text
    with pytest.raises(json.JSONDecodeError):
        json.loads(text.splitlines()[0])


def test_credentials_are_redacted_on_both_paths():
    out = io.StringIO()
    configure_logging("INFO", json=True, stream=out)
    structlog.get_logger("handlers.slack").warning(
        "slack.call", token="xoxb-123", slack_bot_token="xoxb-456", max_new_tokens=256,
        headers={"Authorization": "Bearer xoxb-789", "Accept": "json"}, api_key="sk-1")
    logging.getLogger("bot.app").warning("connect", extra={"client_secret": "s3", "host": "h"})
    s, std = lines(out)
    assert s["token"] == s["slack_bot_token"] == s["api_key"] == REDACTED
    assert s["headers"] == {"Authorization": REDACTED, "Accept": "json"}
    assert s["max_new_tokens"] == 256
    assert std["client_secret"] == REDACTED and std["host"] == "h"
    assert "xoxb" not in out.getvalue() and "s3" not in out.getvalue()


def test_calling_again_replaces_the_handler_instead_of_doubling_lines():
    first, second = io.StringIO(), io.StringIO()
    configure_logging("INFO", stream=first)
    configure_logging("INFO", stream=second)
    logging.getLogger("bot").warning("once")
    assert first.getvalue() == "" and len(lines(second)) == 1


def test_a_bad_level_is_a_settings_error_naming_the_variable(monkeypatch):
    monkeypatch.setenv("MIRU_LOG_LEVEL", "chatty")
    with pytest.raises(SettingsError, match="MIRU_LOG_LEVEL"):
        load_settings()
    with pytest.raises(SettingsError, match="MIRU_LOG_LEVEL"):
        configure_logging("chatty")
    monkeypatch.setenv("MIRU_LOG_LEVEL", "debug")
    assert load_settings().log_level == "DEBUG"
