"""The thread's stored images one request uses: which, and what they cost.

``recall`` loads the thread's turns and its most recent ``MIRU_MAX_STORED_IMAGES`` images (the
count of older ones left out goes in ``Outcome.left_out``, and the answer names it): each stored
image is decided again at every use, and 100 of them once held a worker for seconds.
``charge_stored`` counts them against the workspace's daily image quotas like fresh ones (issue
19: a follow-up cost nothing).
"""

from __future__ import annotations

from bot import strings
from bot.core.delivery import Delivery
from bot.core.outcome import Outcome
from bot.core.steps import Steps
from bot.errors import StoreUnavailable
from bot.models import Image, IncomingMessage, ReplyKind, Status, Turn
from bot.ports import Conversation
from bot.services import Services


async def recall(services: Services, msg: IncomingMessage, out: Outcome
                 ) -> tuple[tuple[Turn, ...], list[Image], bool]:
    """The thread's turns, its stored images this request uses, and whether memory answered
    (if not, a note says so and the request goes on without them)."""
    try:
        state = await services.memory.load(msg.thread_key)
        cap = services.settings.max_stored_images  # the most recent; the rest are named
        out.left_out = max(0, len(state.image_ids) - cap)
        stored = await services.memory.get_images(msg.thread_key, state.image_ids[-cap:])
        return state.turns, stored, True
    except StoreUnavailable:
        out.notes.append(strings.t("store.no_memory", out.language))
        return (), [], False


async def charge_stored(steps: Steps, conv: Conversation, out: Outcome, delivery: Delivery
                        ) -> bool:
    """Count ``out.stored`` against the quotas (once per request; an approved review case was
    counted when first sent). Over a quota: the user is told what ran out and when it resets,
    it is audited (``quota_refused``), and False."""
    s, msg = steps.s, conv.message
    if s.quotas is None or not out.stored or msg.review_case:
        return True
    admission = await s.quotas.admit_stored(msg, out.request_id, len(out.stored),
                                            now=s.clock.now())
    if admission.ok:
        return True
    await steps.audit(msg, out, "quota_refused", detail={
        "scope": admission.scope, "limit": admission.limit, "stored_images": len(out.stored)})
    reset = (admission.reset_at.strftime("%Y-%m-%d %H:%M UTC")
             if admission.reset_at is not None else "")
    await steps.finish(conv, out, delivery, ReplyKind.INFO, strings.t(
        f"quota.{admission.scope}", out.language, limit=admission.limit, reset=reset),
        Status.FAILED)
    return False
