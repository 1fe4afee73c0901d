"""The home view (``bot.core.home``, issue 22): one typed ``HomeView`` per person, built by one
function; admins see the set-up health and permissions, others do not."""

from __future__ import annotations

from bot import strings
from bot.core.access import Member
from bot.core.commands import History, SetLanguage
from tests.unit.gateway_fakes import HEALTH, BrokenState, make_rig


async def test_a_person_sees_their_settings_and_no_admin_part(tmp_path) -> None:
    rig = make_rig(tmp_path)
    view = await rig.gateway.home("T1", "U1")
    assert (view.user, view.lang, view.language, view.history) == ("U1", "en", None, True)
    assert (view.turns_days, view.images_days) == ("7", "1")
    assert view.admin is None and view.cases_waiting is None
    assert view.usage is None  # no quotas without Redis


async def test_changes_made_by_command_show_in_the_view(tmp_path) -> None:
    rig = make_rig(tmp_path)
    await rig.gateway.run_command(SetLanguage("ja"), "U1")
    await rig.gateway.run_command(History("off"), "U1")
    view = await rig.gateway.home("T1", "U1")
    assert (view.lang, view.language, view.history) == ("ja", "ja", False)


async def test_an_admin_sees_health_and_permissions(tmp_path) -> None:
    rig = make_rig(tmp_path)
    view = await rig.gateway.home("T1", "U1", member=Member(admin=True))
    assert view.admin is not None
    assert view.admin.health == HEALTH
    assert view.admin.permissions == strings.t("admin.show_default", "en")


async def test_no_admin_part_in_a_dm(tmp_path) -> None:
    rig = make_rig(tmp_path)
    view = await rig.gateway.home("dm", "U1", member=Member(admin=True))
    assert view.admin is None


async def test_an_unreadable_store_shows_unknown_not_an_error(tmp_path) -> None:
    class Down(BrokenState):
        async def get_pref(self, platform: str, user: str, name: str) -> str | None:
            from bot.errors import StoreUnavailable

            raise StoreUnavailable("get_pref")

    rig = make_rig(tmp_path, state=Down())
    view = await rig.gateway.home("T1", "U1")
    assert view.history is None and view.language is None and view.lang == "en"


def test_the_views_sentences() -> None:
    from datetime import UTC, datetime

    from bot.core.home import HomeView, check_lines, history_text, usage_text
    from bot.core.quota import Today
    from bot.models import SetupCheck

    view = HomeView("U1", "en", None, True, "7", "1", usage=Today(
        "default", 3, 50, 1200, 0, datetime(2026, 12, 7, tzinfo=UTC)))
    assert history_text(view).startswith(
        "On: I keep your questions and answers for 7 days and images for 1 day,")
    assert usage_text(view) == ("You: 3 of 50 images · this workspace: 1,200 of no limit "
                                "(default plan). Resets at 2026-12-07 00:00 UTC.")
    head, fix = check_lines(SetupCheck("redis", False, "x" * 900, "start it"), "ja")
    assert head.startswith("❌ redis: ") and len(head) == 400 and head.endswith("…")
    assert fix == strings.t("home.health_fix", "ja", fix="start it")
    assert check_lines(SetupCheck("redis", True, "up", "never shown"), "en")[1] == ""


def test_a_long_health_list_keeps_failures_and_every_checks_name_in_one_discord_message(
) -> None:
    """Regression: with more set-up checks the Discord panel was cut at 2,000 characters and
    the last checks (the Discord one among them) were lost from the end."""
    from bot.core.home import AdminPart, HomeView
    from bot.models import SetupCheck
    from handlers.discord_client import PART_CHARS
    from handlers.discord_home import panel_text

    warns = tuple(SetupCheck(f"warned{i}", True, "d" * 150, "f" * 190, warn=True)
                  for i in range(8))
    health = (*warns, SetupCheck("broken", False, "it is down", "start it"),
              SetupCheck("discord", True, "bot miru, Message Content intent on"))
    view = HomeView(user="U", lang="en", language=None, history=True, turns_days="7",
                    images_days="1", admin=AdminPart(health, "admins: you"))
    text = panel_text(view)
    assert len(text) <= PART_CHARS and not text.endswith("…")
    assert text.index("broken") < text.index("warned0")  # failures first
    assert "start it" in text and "discord" in text and "warned7" in text


def _admin_panel(passing: int, detail_chars: int = 180) -> str:
    """The Discord panel of an admin with one failing, one warned and ``passing`` passing
    checks, each passing check's detail ``detail_chars`` long."""
    from bot.core.home import AdminPart, HomeView
    from bot.models import SetupCheck
    from handlers.discord_home import panel_text

    health = (SetupCheck("warned", True, "worth a look", "look at it", warn=True),
              *(SetupCheck(f"ok{i}", True, f"detail of ok{i} " + "d" * detail_chars)
                for i in range(passing)),
              SetupCheck("broken", False, "it is down", "start it"))
    return panel_text(HomeView(user="U", lang="en", language=None, history=True,
                               turns_days="7", images_days="1",
                               admin=AdminPart(health, "admins: you")))


def test_a_panel_short_of_room_keeps_each_passing_checks_detail_cut_short() -> None:
    """Regression: one check too many took the Discord panel from every passing check's detail
    straight to their names only; a passing check now keeps its headline's start first."""
    from handlers.discord_client import PART_CHARS
    from handlers.discord_home import PASSING_CHARS

    text = _admin_panel(10)
    assert len(text) <= PART_CHARS
    assert "d" * 180 not in text  # the full details do not fit
    assert "✅ ok0, ok1" not in text  # not the names-only line
    lines = text.split("\n")
    for i in range(10):
        (line,) = [x for x in lines if x.startswith(f"✅ ok{i}: detail of ok{i} ddd")]
        assert len(line) == PASSING_CHARS and line.endswith("…")
    assert text.index("broken") < text.index("warned") < text.index("ok0")  # failures first
    assert "start it" in text


def test_a_panel_with_no_room_for_short_details_lists_passing_checks_by_name() -> None:
    from handlers.discord_client import PART_CHARS

    text = _admin_panel(40)
    assert len(text) <= PART_CHARS and not text.endswith("…")
    assert "✅ " + ", ".join(f"ok{i}" for i in range(40)) in text
    assert "detail of" not in text and "start it" in text


def test_the_panel_never_exceeds_one_discord_message() -> None:
    from handlers.discord_client import PART_CHARS

    for passing in range(0, 80, 3):
        for detail_chars in (0, 40, 180, 400):
            text = _admin_panel(passing, detail_chars)
            assert len(text) <= PART_CHARS, (passing, detail_chars)
            assert "broken" in text and "start it" in text
            assert all(f"ok{i}" in text for i in range(passing)), (passing, detail_chars)
            if passing <= 15:  # room for every passing check's headline, cut or whole
                assert all(f"✅ ok{i}: detail of ok{i}" in text for i in range(passing))
