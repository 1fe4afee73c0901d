"""``/miru receipts`` (issue 22): it was an unknown command. The core's rules before anything is
posted (a channel, the plan, permission, the edit level), then the root message and one job
with the text ``receipts`` in the thread it starts (the worker's expense-thread branch then
marks the thread, as for ``@Miru receipts``)."""

from __future__ import annotations

from dataclasses import replace

from bot import strings
from bot.core.access import Member
from bot.models import IncomingMessage
from tests.unit.gateway_fakes import make_rig, msg

NO_RECEIPTS = '''version = "1"
[tiers.default]
receipts = false
'''
VIEWERS = '''version = "1"
[permissions.T1]
everyone = "view"
'''
NOBODY = '''version = "1"
[permissions.T1]
everyone = "none"
'''


class Poster:
    """The adapter's side: posts the root message, says its id and thread."""

    def __init__(self) -> None:
        self.posted: list[str] = []

    async def __call__(self, text: str) -> tuple[str, str]:
        self.posted.append(text)
        return "200.5", "200.5"


def command(**kw) -> IncomingMessage:
    return replace(msg("0", text="receipts", **kw), thread="", message_id="",
                   event_id="slash:1")


async def test_starts_a_thread_from_a_posted_message_and_queues_the_start(tmp_path) -> None:
    rig, post = make_rig(tmp_path), Poster()
    said = await rig.gateway.start_receipts(command(), post_root=post)
    assert said == strings.t("receipts.command_started", "en")
    assert post.posted == [strings.t("receipts.thread_root", "en", user="<@U1>")]
    (job,) = rig.queue.jobs
    assert (job.thread, job.message_id, job.text, job.channel) == ("200.5", "200.5", "receipts",
                                                                  "C1")
    assert job.event_id == "receipts:T1:C1:200.5"


async def test_not_in_a_dm(tmp_path) -> None:
    rig, post = make_rig(tmp_path), Poster()
    said = await rig.gateway.start_receipts(command(is_dm=True), post_root=post)
    assert said == strings.t("receipts.no_channel", "en")
    assert post.posted == [] and rig.queue.jobs == []


async def test_not_on_a_plan_without_expense_threads(tmp_path) -> None:
    rig, post = make_rig(tmp_path, policy=NO_RECEIPTS), Poster()
    said = await rig.gateway.start_receipts(command(), post_root=post)
    assert said == strings.t("receipts.off_plan", "en")
    assert post.posted == [] and rig.queue.jobs == []


async def test_a_viewer_may_not_keep_a_ledger(tmp_path) -> None:
    rig, post = make_rig(tmp_path, policy=VIEWERS), Poster()
    said = await rig.gateway.start_receipts(command(), Member(), post_root=post)
    assert said == strings.t("access.need_edit", "en", level="view")
    assert post.posted == [] and rig.queue.jobs == []


async def test_someone_without_access_is_told_privately_and_audited(tmp_path) -> None:
    rig, post = make_rig(tmp_path, policy=NOBODY), Poster()
    told: list[str] = []

    async def notify(_message: IncomingMessage, text: str) -> None:
        told.append(text)

    said = await rig.gateway.start_receipts(command(), post_root=post, notify=notify)
    assert said == "" and told == [strings.t("access.denied_level", "en")]
    assert post.posted == [] and rig.queue.jobs == []
    assert [r["kind"] for r in rig.audit_lines()] == ["permission_denied"]


async def test_queue_down_tells_the_thread(tmp_path) -> None:
    rig, post = make_rig(tmp_path), Poster()
    rig.queue.down = True
    said = await rig.gateway.start_receipts(command(), post_root=post)
    assert said == ""
    assert [r.text for r in rig.platform.replies] == [strings.t("store.unavailable", "en")]
    assert rig.platform.replies[0].thread.thread == "200.5"
