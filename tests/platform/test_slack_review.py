"""Moderator review on Slack, end to end: real Bolt (signed requests), the Web API stand-in, real
Redis, real gates and a worker. A benign photo is held by policy configuration alone (an adult
channel whose open_nsfw thresholds are 0, so every score counts as exposure, which an adult
channel holds for review); a hash list of the same photo makes it ``block_and_preserve``."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
from pathlib import Path

import pytest
from PIL import Image as PILImage

from bot.evidence.audit import verify
from bot.evidence.secrets import chain_key
from tests.platform.conftest import make_settings
from tests.platform.slack_events import GENERAL, USER, mention, settle, signed_headers, slash
from tests.platform.slack_stack import COFFEE, audit_kinds, coffee_file, start_stack

MODS = "CMODS00001"
MODERATOR = "UMODERAT01"
OUTSIDER = "UOUTSIDE01"


def _policy(tmp: Path, standin, *, preserve: bool = False) -> Path:
    lines = ['version = "1"', "[thresholds]", "nsfw_low = 0.0", "nsfw_high = 0.0",
             f"[channels.{GENERAL}]", 'audience = "adult"', 'consent = "off"',
             f"[moderators.{standin.team_id}]", f'channel = "{MODS}"',
             f'users = ["{MODERATOR}"]']
    if preserve:
        (tmp / "known.txt").write_text(hashlib.sha256(COFFEE).hexdigest() + "\n")
        lines[1:1] = ["[hash_lists]", 'sha256_files = ["known.txt"]']
    path = tmp / "policy.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
async def review_stack(standin, safety_models, tmp_path, rdb):
    started = []

    async def make(*, preserve: bool = False):
        settings = make_settings(standin, tmp_path,
                                 policy_file=_policy(tmp_path, standin, preserve=preserve))
        stack = await start_stack(settings, standin, safety_models)
        started.append(stack)
        return stack

    yield make
    for stack in started:
        await stack.close()


def _cards(standin) -> list:
    return [c for c in standin.calls_to("chat.postMessage") if c.params.get("channel") == MODS]


async def _held(stack, standin, ts: str) -> dict:
    await stack.sender.event(mention(standin, ts, files=[coffee_file(standin)]), event_id=f"E{ts}")
    await standin.wait_for(lambda: bool(_cards(standin)))
    await standin.wait_for(lambda: bool(standin.thread_messages(GENERAL, ts)))
    return _cards(standin)[0].params


def _buttons(blocks: list) -> dict[str, str]:
    for block in blocks:
        if block["type"] == "actions":
            return {e["action_id"].removeprefix("miru_review_"): e["value"]
                    for e in block["elements"]}
    return {}


async def _press(stack, standin, verb: str, case: str, user: str, rid: str) -> str:
    code = await stack.sender.action(f"miru_review_{verb}", case, user=user, channel=MODS,
                                     response_url=standin.response_url(rid))
    assert code == 200

    def answered() -> list:
        return [c for c in standin.calls_to("response_url") if c.params["rid"] == rid]

    await standin.wait_for(lambda: bool(answered()))
    (call,) = answered()
    assert call.params["response_type"] == "ephemeral"
    return call.params["text"]


async def test_held_image_card_with_blurred_preview_then_approve_answers_the_uploader(
        review_stack, standin, rdb) -> None:
    stack = await review_stack()
    ts = "1700000101.000100"
    card = await _held(stack, standin, ts)
    buttons = _buttons(card["blocks"])
    assert set(buttons) == {"approve", "reject", "escalate", "reveal"}
    case = buttons["approve"]
    assert case in standin.thread_messages(GENERAL, ts)[0]  # "under review (case …)"
    text = json.dumps(card["blocks"])
    assert case in text and "sexual_exposure_review" in text and f"<@{USER}>" in text
    # the preview: uploaded in the card's thread, blurred, never the original bytes
    await standin.wait_for(lambda: bool(standin.uploads))
    (preview,) = standin.uploads.values()
    assert preview != COFFEE and COFFEE[2000:2064] not in preview
    assert PILImage.open(io.BytesIO(preview)).format == "JPEG"
    assert stack.engine.requests == []

    # Reveal: a copy without metadata to the moderator alone (a DM; Slack has no ephemeral
    # files), logged; refused to anyone else
    revealed = await _press(stack, standin, "reveal", case, MODERATOR, "r5")
    assert "in your direct messages" in revealed
    await standin.wait_for(lambda: len(standin.uploads) == 2)
    (dm,) = standin.calls_to("conversations.open")
    assert dm.params["users"] == MODERATOR
    assert any(r["kind"] == "review_reveal" for r in audit_kinds(stack))
    assert "Only this workspace's moderators" in await _press(
        stack, standin, "reveal", case, OUTSIDER, "r6")

    refused = await _press(stack, standin, "approve", case, OUTSIDER, "r1")
    assert "Only this workspace's moderators" in refused
    assert any(r["kind"] == "review_refused" for r in audit_kinds(stack))

    # two moderators' presses at once: one decision
    first, second = await asyncio.gather(
        _press(stack, standin, "approve", case, MODERATOR, "r2"),
        _press(stack, standin, "approve", case, MODERATOR, "r3"))
    assert sorted(["already" in first, "already" in second]) == [False, True]
    await standin.wait_for(lambda: len(standin.thread_messages(GENERAL, ts)) >= 3)
    await settle(rdb)
    thread = standin.thread_messages(GENERAL, ts)
    assert any("approved your image" in m for m in thread)
    assert any(m.startswith("I see 1 image(s).") for m in thread)
    assert len(stack.engine.requests) == 1
    update = [c for c in standin.calls_to("chat.update") if c.params.get("channel") == MODS]
    assert update and "approved* by" in json.dumps(update[-1].params["blocks"])
    assert _buttons(update[-1].params["blocks"]) == {}
    late = await _press(stack, standin, "reject", case, MODERATOR, "r4")
    assert "already approved" in late
    # the decision deleted the Reveal's copy; a decided case is not revealed again
    await standin.wait_for(lambda: len(standin.uploads) == 1)
    assert "already decided" in await _press(stack, standin, "reveal", case, MODERATOR, "r7")
    decisions = [r for r in audit_kinds(stack) if r["kind"] == "review_decision"]
    assert len(decisions) == 1


def _with_metadata(data: bytes) -> bytes:
    """``data`` re-saved with EXIF (a GPS position, a camera) and bytes appended after it."""
    exif = PILImage.Exif()
    exif[0x010F] = "MiruTestCam"  # Make
    exif[0x8825] = {1: "N", 2: (35.0, 39.0, 29.0), 3: "E", 4: (139.0, 44.0, 28.0)}  # GPS
    out = io.BytesIO()
    PILImage.open(io.BytesIO(data)).save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue() + b"APPENDED-SECRET-TRAILER"


async def test_reveal_sends_a_cleaned_copy_that_is_deleted_with_the_decision(
        review_stack, standin, rdb) -> None:
    """Reveal leaves nothing outside the vault for longer than the case: the moderator's DM
    gets the image without its metadata (never the original bytes), the upload is tracked,
    and the decision deletes it (``files.delete``), audited."""
    stack = await review_stack()
    original = _with_metadata(COFFEE)
    assert b"MiruTestCam" in original
    ts = "1700000121.000100"
    photo = standin.add_file("FEXIF", "exif.jpg", original, "image/jpeg")
    await stack.sender.event(mention(standin, ts, files=[photo]), event_id="E121")
    await standin.wait_for(lambda: bool(_cards(standin)))
    case = _buttons(_cards(standin)[0].params["blocks"])["reveal"]
    await standin.wait_for(lambda: bool(standin.uploads))  # the blurred preview
    previews = set(standin.uploads)
    assert "in your direct messages" in await _press(stack, standin, "reveal", case,
                                                     MODERATOR, "r1")
    await standin.wait_for(lambda: len(standin.uploads) == len(previews) + 1)
    [file_id] = set(standin.uploads) - previews
    copy = standin.uploads[file_id]
    assert copy != original and b"MiruTestCam" not in copy and b"APPENDED" not in copy
    shown = PILImage.open(io.BytesIO(copy))
    assert not shown.getexif() and shown.size == PILImage.open(io.BytesIO(original)).size
    assert rdb.hlen(f"miru:review:{{{case}}}:reveals") == 1

    assert "rejected by" in await _press(stack, standin, "reject", case, MODERATOR, "r2")
    await standin.wait_for(lambda: file_id not in standin.uploads)
    assert [c.params["file"] for c in standin.calls_to("files.delete")] == [file_id]
    await standin.wait_for(lambda: any(r["kind"] == "review_reveal_withdrawn"
                                       for r in audit_kinds(stack)))
    [withdrawn] = [r for r in audit_kinds(stack) if r["kind"] == "review_reveal_withdrawn"]
    assert withdrawn["detail"] == {"case": case, "deleted": 1, "failed": 0}
    assert rdb.hlen(f"miru:review:{{{case}}}:reveals") == 0
    assert "already decided" in await _press(stack, standin, "reveal", case, MODERATOR, "r3")
    assert len(standin.uploads) == len(previews)


async def test_preserved_image_card_has_no_image_and_reporting_steps(
        review_stack, standin, rdb) -> None:
    stack = await review_stack(preserve=True)
    ts = "1700000102.000100"
    card = await _held(stack, standin, ts)
    await settle(rdb)
    assert set(_buttons(card["blocks"])) == {"reject", "escalate"}
    text = json.dumps(card["blocks"])
    assert "CyberTipline" in text and "Internet Hotline Center" in text
    assert standin.uploads == {} and not standin.calls_to("files.getUploadURLExternal")
    case = _buttons(card["blocks"])["escalate"]
    assert case not in standin.thread_messages(GENERAL, ts)[0]
    reveal = await _press(stack, standin, "reveal", case, MODERATOR, "r1")
    assert "never shown" in reveal
    approve = await _press(stack, standin, "approve", case, MODERATOR, "r2")
    assert "never approved" in approve
    done = await _press(stack, standin, "escalate", case, MODERATOR, "r3")
    assert "escalated by" in done
    assert rdb.ttl(f"miru:review:{{{case}}}:case") > 300 * 24 * 3600
    assert stack.engine.requests == []


async def test_a_preserved_case_decided_tells_its_uploader_nothing(
        review_stack, standin, rdb) -> None:
    """Reject and Escalate on ``block_and_preserve`` cases: the card changes, the uploader's
    thread does not (docs/reporting.md: nothing may warn them)."""
    stack = await review_stack(preserve=True)
    for n, verb in enumerate(("reject", "escalate")):
        ts = f"170000011{n}.000100"
        await stack.sender.event(mention(standin, ts, files=[coffee_file(standin)]),
                                 event_id=f"E11{n}")
        await standin.wait_for(lambda n=n: len(_cards(standin)) == n + 1)
        await standin.wait_for(lambda ts=ts: bool(standin.thread_messages(GENERAL, ts)))
        told = standin.thread_messages(GENERAL, ts)
        case = _buttons(_cards(standin)[n].params["blocks"])[verb]
        done = await _press(stack, standin, verb, case, MODERATOR, f"r{n}")
        assert f"{verb.rstrip('e')}ed by" in done
        await standin.wait_for(lambda case=case: any(
            c.params.get("channel") == MODS and case in c.params.get("text", "")
            for c in standin.calls_to("chat.update")))
        await asyncio.sleep(0.5)  # the notice, if any, follows the card's update at once
        assert standin.thread_messages(GENERAL, ts) == told
        assert not any(case in m for m in told)


async def test_faults_forged_press_unpostable_channel_and_redis_emptied(
        review_stack, standin, rdb) -> None:
    stack = await review_stack()
    standin.fail_with("chat.postMessage", "not_in_channel")  # the first post is the card
    ts = "1700000103.000100"
    await stack.sender.event(mention(standin, ts, files=[coffee_file(standin)]), event_id="E103")
    await standin.wait_for(lambda: bool(standin.thread_messages(GENERAL, ts)))
    await settle(rdb)
    cards = [r for r in audit_kinds(stack) if r["kind"] == "review_card"]
    assert [c["action"] for c in cards] == ["not_posted"]
    assert "moderators' channel" in cards[0]["detail"]["why"]
    [case] = [json.loads(rdb.hget(k, "data"))["id"] for k in rdb.scan_iter("miru:review:*:case")]
    assert rdb.hget(f"miru:review:{{{case}}}:case", "status") == b"pending"  # still queued

    # a press with a bad signature: refused by Bolt before any listener
    payload = json.dumps({"type": "block_actions", "team": {"id": standin.team_id},
                          "user": {"id": MODERATOR}, "actions": [
                              {"action_id": "miru_review_approve", "value": case}]})
    from urllib.parse import urlencode

    body = urlencode({"payload": payload})
    headers = signed_headers(body, secret="not-the-secret",
                             content_type="application/x-www-form-urlencoded")
    assert await stack.sender.raw(body, headers) == 401
    assert rdb.hget(f"miru:review:{{{case}}}:case", "status") == b"pending"

    # Redis restarted empty between the card and the click: a clear message, nothing decided
    for key in list(rdb.scan_iter("miru:review:*")) + list(rdb.scan_iter("miru:quarantine:*")):
        rdb.delete(key)
    gone = await _press(stack, standin, "approve", case, MODERATOR, "r1")
    assert "no longer available" in gone and "Nothing was decided" in gone
    assert not [r for r in audit_kinds(stack) if r["kind"] == "review_decision"]


async def test_no_plaintext_anywhere_and_the_audit_log_verifies(
        review_stack, standin, rdb) -> None:
    stack = await review_stack()
    card = await _held(stack, standin, "1700000104.000100")
    case = _buttons(card["blocks"])["reject"]
    assert "rejected by" in await _press(stack, standin, "reject", case, MODERATOR, "r1")
    await settle(rdb)
    thread = standin.thread_messages(GENERAL, "1700000104.000100")
    assert any("Please delete it" in m for m in thread)  # Slack: bots cannot delete it
    # the uploader appeals once: the case is pending again and a new card goes out
    outsider = await slash(stack, standin, f"appeal {case}", "a0", user=OUTSIDER)
    assert "can't be appealed (not_yours)" in outsider
    before = len(_cards(standin))
    ok = await slash(stack, standin, f"appeal {case}", "a1")
    assert "back with the moderators" in ok and len(_cards(standin)) == before + 1
    assert rdb.hget(f"miru:review:{{{case}}}:case", "status") == b"pending"
    assert "rejected by" in await _press(stack, standin, "reject", case, MODERATOR, "r2")
    again = await slash(stack, standin, f"appeal {case}", "a2")
    assert "can't be appealed (already)" in again
    chunks = [COFFEE[i:i + 48] for i in range(0, len(COFFEE) - 48, len(COFFEE) // 7)]
    for key in rdb.scan_iter(count=1000):
        kind = rdb.type(key).decode()
        values = ([rdb.get(key) or b""] if kind == "string" else
                  list(rdb.hgetall(key).values()) if kind == "hash" else
                  [v for _, f in rdb.xrange(key) for v in f.values()] if kind == "stream"
                  else [])
        assert not any(c in v for c in chunks for v in values), key
    settings = stack.app.settings
    for path in settings.data_dir.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not any(c in data for c in chunks), path
    assert verify(settings.audit_path, chain_key(settings).value).ok


async def test_a_decision_on_the_command_line_updates_the_card_and_tells_the_uploader(
        review_stack, standin, rdb, tmp_path) -> None:
    from tests.clirun import cli_env, miru

    stack = await review_stack()
    ts = "1700000105.000100"
    card = await _held(stack, standin, ts)
    case = _buttons(card["blocks"])["reject"]
    settings = stack.app.settings
    env = cli_env(tmp_path)
    env.update(MIRU_DATA_DIR=str(settings.data_dir), MIRU_AUDIT_PATH=str(settings.audit_path),
               MIRU_REDIS_URL=settings.redis_url, MIRU_POLICY_FILE=str(settings.policy_file))
    env.pop("MIRU_AUDIT_SECRET")  # the stack's generated secret, in its data folder
    proc = await asyncio.to_thread(miru, env, "review", "reject", case, "--by", "ops")
    assert proc.returncode == 0, proc.stderr
    await standin.wait_for(lambda: any("Please delete it" in m
                                       for m in standin.thread_messages(GENERAL, ts)))
    await standin.wait_for(lambda: any(
        c.params.get("channel") == MODS and "rejected* by ops" in json.dumps(c.params["blocks"])
        for c in standin.calls_to("chat.update")))
    assert verify(settings.audit_path, chain_key(settings).value).ok
