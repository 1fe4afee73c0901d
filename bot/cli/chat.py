"""``miru chat``: a conversation about images in the terminal; follow-ups keep the images.

Type a question and press Enter. ``/image PATH`` adds an image to the next question,
``/history`` shows what the thread remembers, ``/forget`` clears it, ``/help`` lists the
commands, ``/quit`` (or Ctrl-D) ends. With ``--thread ID`` the conversation lives in Redis
and can be resumed later; otherwise it lives in this process.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from pathlib import Path

from bot.app import build_app
from bot.cli.exitcodes import EX_OK
from bot.cli.local import LocalConversation, cli_message
from bot.stores.base import ThreadState
from bot.stores.redis_base import open_client, reachable, shown_url
from config.settings import Settings

PROMPT = "you> "
COMMANDS = ("/image PATH  send an image with your next question\n"
            "/history     what this thread remembers (the last turns, the images kept)\n"
            "/forget      clear this thread\n"
            "/quit        end (Ctrl-D too)")
HISTORY_TURNS = 20  # turns /history shows, the newest
HISTORY_WIDTH = 200  # characters of each turn shown


async def chat_command(args: argparse.Namespace, settings: Settings) -> int:
    memory_only = not args.thread
    if args.thread and not await _redis_up(settings):
        print("Redis is not reachable, so this conversation will not be saved "
              f"(MIRU_REDIS_URL={shown_url(settings.redis_url)}).", file=sys.stderr)
        memory_only = True
    app = build_app(settings, memory_only=memory_only)
    thread = args.thread or uuid.uuid4().hex[:12]
    pending = [Path(p) for p in args.images]
    consent = args.consent
    try:  # a closed stdout fails the first print: the app is closed all the same
        if app.services.engine_note:
            print(app.services.engine_note, file=sys.stderr)
        print(f"Thread {thread}. Ask about the image(s); /image PATH adds one, /quit ends.")
        while True:
            try:
                line = input(PROMPT).strip()
            except EOFError:
                print()
                break
            if not line:
                continue
            if line in ("/quit", "/exit"):
                break
            if line.startswith("/image "):
                pending.append(Path(line[len("/image "):].strip()))
                print(f"(will send {pending[-1].name} with your next question)")
                continue
            if line == "/history":
                state = await app.memory.load(cli_message([], "", thread=thread).thread_key)
                print("\n".join(history_lines(state)))
                continue
            if line in ("/help", "/?"):
                print(COMMANDS)
                continue
            if line == "/forget":
                n = await app.memory.forget_thread(
                    cli_message([], "", thread=thread).thread_key)
                print(f"(forgot this thread: {n} item(s))")
                continue
            if line.startswith("/") and line.split()[0] not in ("/image",):
                print(f"(unknown command {line.split()[0][:40]!r}; the commands are:)\n{COMMANDS}")
                continue
            msg = cli_message(pending, line, thread=thread, language=args.lang, consent=consent)
            pending = []
            conv = LocalConversation(msg, show_progress=sys.stdout.isatty())
            out = await app.pipeline.handle(conv)
            for r in out.rejections:
                print(f"(not used: {r.message})")
            if out.verdict is not None and not out.verdict.action.reaches_model:
                print(f"(verdict: {out.verdict.action.value})")
            print(f"miru> {out.reply.text if out.reply else ''}")
    finally:
        await app.close()
    return EX_OK


def history_lines(state: ThreadState, *, turns: int = HISTORY_TURNS,
                  width: int = HISTORY_WIDTH) -> list[str]:
    """What ``/history`` prints: the newest ``turns`` turns, each cut to ``width`` characters
    on one line, and how many images the thread still keeps."""
    if not state.turns:
        return ["(this thread remembers nothing yet)"]
    shown = state.turns[-turns:]
    out = [f"({len(state.turns) - len(shown)} earlier turn(s) not shown)"] if len(shown) < len(
        state.turns) else []
    for turn in shown:
        text = " ".join(turn.text.split())
        if len(text) > width:
            text = text[: width - 1] + "…"
        images = f" [+{len(turn.image_ids)} image(s)]" if turn.image_ids else ""
        out.append(f"{'you' if turn.role == 'user' else 'miru'}> {text}{images}")
    out.append(f"({len(state.image_ids)} image(s) kept for follow-ups)")
    return out


async def _redis_up(settings: Settings) -> bool:
    client = open_client(settings.redis_url, socket_connect_timeout=1, socket_timeout=1)
    try:
        return await reachable(client)
    finally:
        await client.aclose()
