"""Smoke tests of the Discord stand-in through the real discord.py client: login and READY,
messages, threads, attachments, an application command deferred then followed up, a button,
gateway resume and invalid session, rate limits and Discord's error answers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import discord
import pytest
from discord import app_commands

from tests.platform.discord_standin import DiscordStandIn, run_client
from tests.platform.discord_standin_payloads import Intent
from tests.platform.discord_standin_rest import (
    MISSING_PERMISSIONS,
    SERVER_ERROR,
    UNKNOWN_MESSAGE,
    rate_limited,
)

pytestmark = pytest.mark.timeout(30)

MESSAGES = r"/channels/\d+/messages"


def make_client(*, message_content: bool = True) -> discord.Client:
    intents = discord.Intents.none()
    intents.guilds = intents.guild_messages = intents.dm_messages = True
    intents.message_content = message_content
    # guild_ready_timeout: discord.py waits this long after the last GUILD_CREATE before on_ready
    return discord.Client(intents=intents, guild_ready_timeout=0.05)


def collect_messages(client: discord.Client) -> list[discord.Message]:
    """Record every message from someone other than the client itself."""
    got: list[discord.Message] = []

    @client.event
    async def on_message(message: discord.Message) -> None:
        if message.author != client.user:
            got.append(message)

    return got


async def until(pred: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def test_login_ready_and_guild_create(discord_standin: DiscordStandIn) -> None:
    client = make_client()
    async with run_client(client, discord_standin):
        assert client.user is not None and client.user.id == discord_standin.app_id
        assert client.application_id == discord_standin.app_id
        general = client.get_channel(discord_standin.channel("general"))
        assert isinstance(general, discord.TextChannel) and not general.is_nsfw()
        after_dark = client.get_channel(discord_standin.channel("after-dark"))
        assert isinstance(after_dark, discord.TextChannel) and after_dark.is_nsfw()
        no_threads = client.get_channel(discord_standin.channel("no-threads"))
        assert isinstance(no_threads, discord.TextChannel)
        assert not no_threads.permissions_for(no_threads.guild.me).create_public_threads
        assert general.permissions_for(general.guild.me).create_public_threads
    assert [c.path for c in discord_standin.calls("GET")] == ["/users/@me",
                                                              "/oauth2/applications/@me"]
    assert "compress=zlib-stream" in discord_standin.gateway.connection_paths[0]
    identify = [f.d for f in discord_standin.gateway.frames if f.op == 2]
    assert len(identify) == 1 and identify[0]["intents"] & Intent.MESSAGE_CONTENT


async def test_bad_token_fails_login(discord_standin: DiscordStandIn) -> None:
    client = make_client()
    with pytest.raises(discord.LoginFailure):
        await client.login("not-the-token")
    await client.close()


async def test_message_reply_thread_and_attachment(discord_standin: DiscordStandIn) -> None:
    client = make_client()
    got = collect_messages(client)
    replies: list[discord.Message] = []
    downloaded: list[bytes] = []

    @client.event
    async def on_message(message: discord.Message) -> None:
        if message.author == client.user or isinstance(message.channel, discord.Thread):
            replies.append(message)
            return
        got.append(message)
        downloaded.append(await message.attachments[0].read())
        async with message.channel.typing():
            await message.add_reaction("👀")
            thread = await message.create_thread(name="Miru")
            await thread.send("an answer", file=discord.File(__file__, "notes.txt"))

    async with run_client(client, discord_standin):
        sent = await discord_standin.dispatch_message(
            "general", "what is this?", mention_bot=True,
            attachments=[(b"not really a png", "cat.png", "image/png")])
        call = await discord_standin.wait_for_call("POST", MESSAGES, count=1)
        await until(lambda: len(replies) == 1)  # the echo of the bot's own message

    assert got[0].content == f"<@{discord_standin.app_id}> what is this?"
    assert client.user in got[0].mentions
    assert downloaded == [b"not really a png"]
    thread_id = int(sent["id"])  # a thread started from a message has the message's id
    assert discord_standin.threads[thread_id]["name"] == "Miru"
    assert call.path == f"/channels/{thread_id}/messages"
    assert call.json["content"] == "an answer"
    assert call.files[0].filename == "notes.txt" and call.files[0].data.startswith(b'"""')
    assert discord_standin.reactions[int(sent["id"])] == ["👀"]
    assert discord_standin.calls("POST", r"/channels/\d+/typing")
    assert isinstance(replies[0].channel, discord.Thread)
    assert replies[0].attachments[0].filename == "notes.txt"


async def test_expired_link_is_refreshed_by_fetching_the_message(
        discord_standin: DiscordStandIn) -> None:
    client = make_client()
    got = collect_messages(client)
    async with run_client(client, discord_standin):
        await discord_standin.dispatch_message("general", "look", attachments=[
            discord_standin.attachment("general", b"bytes", "a.jpg", "image/jpeg")])
        await until(lambda: len(got) == 1)
        discord_standin.expire_attachment_links()
        with pytest.raises(discord.NotFound):
            await got[0].attachments[0].read()
        fresh = await got[0].channel.fetch_message(got[0].id)
        assert fresh.attachments[0].url != got[0].attachments[0].url
        assert await fresh.attachments[0].read() == b"bytes"


async def test_command_deferred_then_followed_up(discord_standin: DiscordStandIn) -> None:
    client = make_client()
    tree = app_commands.CommandTree(client)
    guild = discord.Object(discord_standin.guild_id)
    seen: list[tuple[str, str]] = []

    @tree.command(name="miru", description="Ask Miru", guild=guild)
    async def miru(interaction: discord.Interaction, image: discord.Attachment,
                   question: str) -> None:
        await interaction.response.defer(thinking=True)
        seen.append((image.filename, question))
        await interaction.followup.send(f"{image.filename}: {question}")
        await interaction.edit_original_response(content="done")

    client.setup_hook = lambda: tree.sync(guild=guild)  # type: ignore[method-assign]
    async with run_client(client, discord_standin):
        await discord_standin.wait_for_call("PUT", r"/applications/\d+/guilds/\d+/commands")
        image = discord_standin.attachment("general", b"img", "q.png")
        record = await discord_standin.dispatch_command("miru", {"image": image,
                                                                 "question": "what?"})
        await discord_standin.wait_for_call("PATCH", r"/webhooks/\d+/[^/]+/messages/@original")

    synced = discord_standin.synced_commands[discord_standin.guild_id]
    assert [c["name"] for c in synced] == ["miru"]
    assert seen == [("q.png", "what?")]
    assert record.responses == [5]
    callback = discord_standin.calls("POST", r"/interactions/\d+/[^/]+/callback")[0]
    assert callback.json["type"] == 5
    followup = discord_standin.calls("POST", r"/webhooks/\d+/[^/]+")[0]
    assert followup.json["content"] == "q.png: what?"
    assert record.original_message_id is not None
    assert discord_standin.messages[record.original_message_id]["content"] == "done"


async def test_button_press_reaches_the_view(discord_standin: DiscordStandIn) -> None:
    client = make_client()
    pressed: list[int] = []

    class Consent(discord.ui.View):
        @discord.ui.button(label="OK", custom_id="consent:yes")
        async def yes(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
            pressed.append(interaction.user.id)
            await interaction.response.edit_message(content="thanks", view=None)

    async with run_client(client, discord_standin):
        channel = client.get_channel(discord_standin.channel("general"))
        assert isinstance(channel, discord.TextChannel)
        sent = await channel.send("Show it?", view=Consent())
        stored = discord_standin.messages[sent.id]
        assert stored["components"][0]["components"][0]["custom_id"] == "consent:yes"
        record = await discord_standin.dispatch_component(sent.id, "consent:yes", user="bob")
        await until(lambda: record.responses == [7])
    assert pressed == [int(discord_standin.user("bob")["id"])]
    assert discord_standin.messages[sent.id]["content"] == "thanks"


async def test_resume_replays_missed_events_exactly_once(
        discord_standin: DiscordStandIn) -> None:
    client = make_client()
    got = collect_messages(client)
    async with run_client(client, discord_standin):
        await discord_standin.dispatch_message("general", "one")
        await until(lambda: len(got) == 1)
        async with discord_standin.offline():
            await discord_standin.dispatch_message("general", "two")
            await discord_standin.dispatch_message("general", "three")
        await discord_standin.wait_for_gateway(6)  # RESUME
        await until(lambda: len(got) == 3)
        await discord_standin.dispatch_message("general", "four")
        await until(lambda: len(got) == 4)
        await asyncio.sleep(0.1)
    assert [m.content for m in got] == ["one", "two", "three", "four"]
    assert discord_standin.gateway.count(2) == 1  # identified once
    assert discord_standin.gateway.connection_paths[1].startswith("/ws/resume")


@pytest.mark.parametrize("while_connected", [False, True])
async def test_invalid_session_makes_the_client_identify_again(
        discord_standin: DiscordStandIn, while_connected: bool) -> None:
    client = make_client()
    got = collect_messages(client)

    async def identify_at_once(shard_id: int | None, *, initial: bool = False) -> None:
        """discord.py sleeps 5 s before every identify but the first; skip that here."""

    client.before_identify_hook = identify_at_once  # type: ignore[method-assign]
    async with run_client(client, discord_standin):
        if while_connected:
            await discord_standin.invalidate_sessions()
        else:
            async with discord_standin.offline():
                await discord_standin.invalidate_sessions()
        await discord_standin.wait_for_gateway(2, count=2)  # a second IDENTIFY
        await until(lambda: len(discord_standin.gateway.live_sessions()) == 1)
        await until(lambda: client.get_channel(discord_standin.channel("general")) is not None)
        await discord_standin.dispatch_message("general", "after")
        await until(lambda: len(got) == 1)
    assert discord_standin.gateway.count(6) == (0 if while_connected else 1)
    assert len(discord_standin.gateway.sessions) == 2


async def test_rate_limit_is_waited_out_and_retried(discord_standin: DiscordStandIn) -> None:
    client = make_client()
    discord_standin.fail("POST", MESSAGES, rate_limited(0.3))
    async with run_client(client, discord_standin):
        channel = client.get_channel(discord_standin.channel("general"))
        assert isinstance(channel, discord.TextChannel)
        started = time.monotonic()
        await channel.send("hello")
        assert time.monotonic() - started >= 0.3
    calls = discord_standin.calls("POST", MESSAGES)
    assert [c.status for c in calls] == [429, 200]


async def test_discord_errors_reach_the_client(discord_standin: DiscordStandIn) -> None:
    client = make_client()
    async with run_client(client, discord_standin):
        general = client.get_channel(discord_standin.channel("general"))
        read_only = client.get_channel(discord_standin.channel("read-only"))
        assert isinstance(general, discord.TextChannel)
        assert isinstance(read_only, discord.TextChannel)
        with pytest.raises(discord.Forbidden) as denied:
            await read_only.send("hi")  # the channel denies the bot SEND_MESSAGES
        assert denied.value.code == 50013
        discord_standin.fail("GET", r"/channels/\d+/messages/\d+", UNKNOWN_MESSAGE)
        with pytest.raises(discord.NotFound) as missing:
            await general.fetch_message(1)
        assert missing.value.code == 10008
        discord_standin.fail("POST", MESSAGES, MISSING_PERMISSIONS)
        with pytest.raises(discord.Forbidden):
            await general.send("hi")
        with pytest.raises(discord.HTTPException) as too_long:
            await general.send("x" * 2001)
        assert too_long.value.code == 50035
        discord_standin.fail("POST", MESSAGES, SERVER_ERROR)
        sent = await general.send("retried after a 500")  # discord.py retries 5xx once a second
        assert sent.content == "retried after a 500"


async def test_without_message_content_only_mentions_carry_content(
        discord_standin: DiscordStandIn) -> None:
    client = make_client(message_content=False)
    got = collect_messages(client)
    async with run_client(client, discord_standin):
        await discord_standin.dispatch_message("general", "plain")
        await discord_standin.dispatch_message("general", "hey", mention_bot=True)
        await discord_standin.dispatch_message(None, "in a dm", dm=True)
        await until(lambda: len(got) == 3)
    assert [m.content for m in got] == ["", f"<@{discord_standin.app_id}> hey", "in a dm"]
    assert isinstance(got[2].channel, discord.DMChannel)


async def test_threads_deletes_and_channel_lookup(discord_standin: DiscordStandIn) -> None:
    client = make_client()
    got = collect_messages(client)
    deleted: list[int] = []

    @client.event
    async def on_raw_message_delete(event: discord.RawMessageDeleteEvent) -> None:
        deleted.append(event.message_id)

    async with run_client(client, discord_standin):
        thread = await discord_standin.create_thread("general", "user thread", owner="bob")
        await until(lambda: client.get_channel(int(thread["id"])) is not None)
        posted = await discord_standin.dispatch_message(int(thread["id"]), "follow-up")
        await until(lambda: len(got) == 1)
        assert isinstance(got[0].channel, discord.Thread)
        assert got[0].channel.parent_id == discord_standin.channel("general")
        await discord_standin.dispatch_delete(int(thread["id"]), int(posted["id"]))
        await until(lambda: deleted == [int(posted["id"])])
        with pytest.raises(discord.NotFound):
            await got[0].channel.fetch_message(got[0].id)
        fetched = await client.fetch_channel(discord_standin.channel("after-dark"))
        assert isinstance(fetched, discord.TextChannel) and fetched.is_nsfw()


async def test_immediate_response_and_late_defer(discord_standin: DiscordStandIn) -> None:
    discord_standin.interaction_deadline_s = 0.2
    client = make_client()
    tree = app_commands.CommandTree(client)
    errors: list[BaseException] = []

    @tree.command(name="help", description="Help")
    async def help_(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("how to use Miru", ephemeral=True)

    @tree.command(name="slow", description="Too slow to defer")
    async def slow(interaction: discord.Interaction) -> None:
        await asyncio.sleep(0.3)
        try:
            await interaction.response.defer()
        except discord.NotFound as exc:  # 10062 Unknown interaction, as on Discord
            errors.append(exc)

    client.setup_hook = tree.sync  # type: ignore[method-assign]
    async with run_client(client, discord_standin):
        await discord_standin.wait_for_call("PUT", r"/applications/\d+/commands")
        quick = await discord_standin.dispatch_command("help")
        await discord_standin.dispatch_command("slow", dm=True)
        await until(lambda: len(errors) == 1)
    assert quick.responses == [4]
    original = discord_standin.messages[quick.original_message_id or 0]
    assert original["content"] == "how to use Miru" and original["flags"] & 64
    assert getattr(errors[0], "code", None) == 10062


async def test_two_clients_both_receive_and_transport_loss_resumes(
        discord_standin: DiscordStandIn) -> None:
    first, second = make_client(), make_client()
    got_first, got_second = collect_messages(first), collect_messages(second)
    async with run_client(first, discord_standin), run_client(second, discord_standin):
        await discord_standin.gateway.abort()  # TCP cut, no close frame
        await discord_standin.wait_for_gateway(6, count=2)
        await discord_standin.request_reconnect()  # op 7
        await discord_standin.wait_for_gateway(6, count=4)
        await discord_standin.dispatch_message("general", "to both")
        await until(lambda: len(got_first) == len(got_second) == 1)
    assert discord_standin.gateway.count(2) == 2
