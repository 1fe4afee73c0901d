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


def test_ocr_threads_default_to_one_and_take_1_to_64(monkeypatch):
    assert load_settings().ocr_threads == 1  # one receipt per worker core: the measured best
    for value in ("1", "8", "64"):
        monkeypatch.setenv("MIRU_OCR_THREADS", value)
        assert load_settings().ocr_threads == int(value)


@pytest.mark.parametrize(("value", "says"), [
    ("0", "greater than or equal to 1"),
    ("-1", "greater than or equal to 1"),
    ("abc", "valid integer"),
    ("1000", "less than or equal to 64"),
])
def test_a_bad_ocr_thread_count_is_refused_naming_the_variable(monkeypatch, value, says):
    monkeypatch.setenv("MIRU_OCR_THREADS", value)
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert "MIRU_OCR_THREADS: Input should be" in str(err.value) and says in str(err.value)


@pytest.mark.parametrize("url,named", [
    ("http://127.0.0.1:6379/0", "redis+cluster://"),  # not a Redis scheme
    ("127.0.0.1:6379", "got none"),  # no scheme at all
    ("redis+cluster://127.0.0.1:7000/3", "database 0 only"),  # a cluster has no SELECT
    ("redis+cluster:///0", "names one node"),
])
def test_a_bad_redis_url_is_refused_naming_the_variable(monkeypatch, url, named):
    monkeypatch.setenv("MIRU_REDIS_URL", url)
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert "MIRU_REDIS_URL" in str(err.value) and named in str(err.value)


def test_a_cluster_url_gives_a_cluster_client_and_a_plain_url_a_plain_one(monkeypatch):
    from redis.asyncio import Redis, RedisCluster

    from bot.stores.redis_base import cluster_node_url
    from bot.wiring import connect_redis

    for url in ("redis+cluster://127.0.0.1:7000", "rediss+cluster://u:p@h:7000/0"):
        monkeypatch.setenv("MIRU_REDIS_URL", url)
        assert load_settings().redis_url == url
    assert cluster_node_url("rediss+cluster://u:p@h:7000/0") == "rediss://u:p@h:7000"
    assert cluster_node_url("redis://h:6379/2") is None
    assert isinstance(connect_redis("redis+cluster://127.0.0.1:1"), RedisCluster)  # not connected
    assert isinstance(connect_redis("redis://127.0.0.1:1/2"), Redis)


async def test_closing_the_process_client_disconnects_its_pool():
    """A worker's or the API's ``aclose()`` hangs up its pooled connections, rather than
    leaving their sockets open until the garbage collector finds them."""
    from bot.wiring import connect_redis
    from tests.conftest import REDIS_URL

    client = connect_redis(REDIS_URL)
    assert await client.ping()
    pool = client.connection_pool
    conn = await pool.get_connection()
    assert conn.is_connected
    await pool.release(conn)
    await client.aclose()
    assert not conn.is_connected


@pytest.mark.parametrize(("url", "shown"), [
    ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
    ("redis://:s3cret@redis:6379/2", "redis://:***@redis:6379/2"),
    ("rediss://miru:p%40ss@cache.example:6380", "rediss://miru:***@cache.example:6380"),
    ("redis+cluster://u:pw@node-1:7000", "redis+cluster://u:***@node-1:7000"),
])
def test_a_redis_password_is_never_shown(url: str, shown: str) -> None:
    """miru doctor and the Home tab print the Redis URL; its password must not appear."""
    from bot.stores.redis_base import shown_url

    assert shown_url(url) == shown
