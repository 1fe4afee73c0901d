"""Settings: environment with the MIRU_ prefix, secrets hidden, bad values named clearly."""

import pytest

from config.settings import SettingsError, load_settings


def test_environment_is_read_and_secrets_do_not_print(monkeypatch, tmp_path):
    monkeypatch.setenv("MIRU_REDIS_URL", "redis://example:6380/2")
    monkeypatch.setenv("MIRU_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-secret-value")
    s = load_settings()
    assert s.redis_url == "redis://example:6380/2"
    assert s.data_dir == tmp_path
    assert s.slack_bot_token.get_secret_value() == "xoxb-secret-value"
    assert "xoxb-secret-value" not in repr(s) and "xoxb-secret-value" not in str(s.model_dump())


def test_dotenv_file_is_honoured(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("MIRU_AUDIT_PATH=/tmp/elsewhere.jsonl\n")
    assert str(load_settings().audit_path) == "/tmp/elsewhere.jsonl"


@pytest.mark.parametrize("name,value", [
    ("MIRU_MAX_BYTES", "-1"),
    ("MIRU_MAX_BYTES", "lots"),
    ("MIRU_VLM_BACKEND", "magic"),
    ("MIRU_OFFLINE", "perhaps"),
    ("MIRU_SCREEN_SIZE", "3"),
])
def test_bad_values_name_the_variable(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=name):
        load_settings()
