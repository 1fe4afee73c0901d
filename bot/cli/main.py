"""``miru``: ask, chat, screen, clean, audit verify|export, quarantine purge, review, doctor,
models pull, run, worker, serve-api, api-key, webhooks.

Exit status (bot/cli/exitcodes.py): 0 when a verdict was reached (whatever it is), 2 for a
usage error, 65 when no input could be used as an image, 1 for other failures; never a traceback
for expected errors.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

# Subcommands import what they need inside their branch: `miru --help` and the light
# commands must not load torch, onnxruntime, OpenCV or the whole pipeline (seconds each).
from bot import strings
from bot.cli.exitcodes import EX_DATAERR, EX_FAIL, EX_INTERRUPTED, EX_OK, EX_PIPE, EX_USAGE
from bot.cli.local import LocalConversation, cli_message
from bot.cli.output import dumps, outcome_json, outcome_text, verdict_json
from bot.core.platforms import PlatformRegistry
from bot.errors import InputRejected, MiruError
from bot.logsetup import configure_logging
from config.errors import ConfigError
from config.settings import Settings, SettingsError, load_settings


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="miru", description="Miru: screened image answers.")
    sub = p.add_subparsers(dest="cmd", required=True, metavar="COMMAND")

    a = sub.add_parser("ask", help="screen images and answer a question about them")
    a.add_argument("images", nargs="+", metavar="IMAGE")
    a.add_argument("-q", "--question", default="")
    a.add_argument("--json", action="store_true", help="print one JSON object")
    a.add_argument("--lang", choices=["ja", "en"])
    a.add_argument("--consent", action="store_true", help="everyone shown agreed to be shared")
    a.add_argument("--engine", choices=["transformers", "openai", "ocr"])
    a.add_argument("--model", help="model id for the chosen engine")

    c = sub.add_parser("chat", help="a conversation in the terminal about images")
    c.add_argument("images", nargs="*", metavar="IMAGE")
    c.add_argument("--thread", help="keep the conversation in Redis under this id")
    c.add_argument("--lang", choices=["ja", "en"])
    c.add_argument("--consent", action="store_true")
    c.add_argument("--engine", choices=["transformers", "openai", "ocr"])
    c.add_argument("--model")

    rc = sub.add_parser("receipt", help="screen receipt photos, then read their fields "
                        "(`miru receipt report --help`: a workspace's expense ledgers)")
    rc.add_argument("images", nargs="+", metavar="IMAGE|DIR")
    rc_out = rc.add_mutually_exclusive_group()
    rc_out.add_argument("--json", action="store_true", help="a JSON list, one object per file")
    rc_out.add_argument("--csv", action="store_true", help="CSV, one row per file")
    rc.add_argument("-o", "--output", metavar="FILE",
                    help="write to FILE (a CSV gets a BOM and CRLF, for spreadsheets)")

    # `miru receipt report …` (main() routes it here; unlisted: `receipt` lists it)
    rp = sub.add_parser("receipt-report", prog="miru receipt report",
                        description="A workspace's expense ledgers (from Redis): a report, or "
                        "an export (csv, freee, mf, zip). Only that workspace's ledgers are read.")
    rp.add_argument("--workspace", required=True, metavar="ID",
                    help="the Slack team id (T…) or Discord guild id whose ledgers to read")
    rp.add_argument("--platform", choices=("slack", "discord"),
                    help="default: discord for a numeric id, else slack")
    rp.add_argument("--month", metavar="YYYY-MM", help="receipts dated in this month")
    rp.add_argument("--user", metavar="ID", help="receipts this platform user posted")
    rp.add_argument("--thread", metavar="CHANNEL/THREAD", help="one expense thread")
    rp.add_argument("--format", choices=("text", "json", "csv", "freee", "mf", "zip"),
                    default="text")
    rp.add_argument("--lang", choices=("en", "ja"), default="en")
    rp.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")

    s = sub.add_parser("screen", help="screen files or folders; one line per file")
    s.add_argument("paths", nargs="+", metavar="FILE|DIR")
    s.add_argument("--json", action="store_true")
    s.add_argument("--text", default="", help="the message text posted with the images")

    cl = sub.add_parser("clean", help="strip metadata (and optionally pixelate faces)")
    cl.add_argument("image")
    cl.add_argument("-o", "--output", required=True)
    cl.add_argument("--blur-faces", action="store_true")

    au = sub.add_parser("audit", help="audit log tools")
    ausub = au.add_subparsers(dest="audit_cmd", required=True)
    v = ausub.add_parser("verify", help="check the hash chain")
    v.add_argument("path", nargs="?")
    ex = ausub.add_parser("export", help="records for auditors (JSON lines, or CSV)")
    ex.add_argument("--since", help="from this date or date-time on (ISO; UTC unless zoned)")
    ex.add_argument("--csv", action="store_true")
    ex.add_argument("path", nargs="?")

    cal = sub.add_parser("calibrate", help="recall and false-positive rate on labelled images")
    cal.add_argument("labelled_dir", metavar="LABELLED_DIR", help="holds unsafe/ and safe/")
    cal.add_argument("--target-fpr", type=float, default=0.01)
    cal.add_argument("--json", action="store_true")

    from bot.cli.review import add_parser as add_review_parser

    add_review_parser(sub)
    from bot.cli.jobs import add_parser as add_jobs_parser
    from bot.cli.usage import add_parser as add_usage_parser

    add_jobs_parser(sub)
    add_usage_parser(sub)
    from bot.cli.hashlist import add_parser as add_hashlist_parser

    add_hashlist_parser(sub)
    from bot.cli.api import add_parser as add_api_parser

    add_api_parser(sub)  # serve-api, api-key, webhooks (the integration API)

    qu = sub.add_parser("quarantine", help="quarantined evidence")
    qusub = qu.add_subparsers(dest="quarantine_cmd", required=True)
    qp = qusub.add_parser("purge", help="delete cases past the policy's retention now")
    qp.add_argument("--json", action="store_true")

    sub.add_parser("doctor", help="check the set-up and say how to fix problems")

    m = sub.add_parser("models", help="model files")
    msub = m.add_subparsers(dest="models_cmd", required=True)
    pull = msub.add_parser("pull", help="download a vision model ahead of time")
    pull.add_argument("model", nargs="?")
    pull.add_argument("--revision")

    r = sub.add_parser("run", help="run platform gateways (with a worker unless --no-worker)")
    r.add_argument("platforms", nargs="+", metavar="PLATFORM", choices=PlatformRegistry().names(),
                   help="one or more of: " + ", ".join(PlatformRegistry().names()))
    r.add_argument("--http", action="store_true", help="HTTP Events API instead of Socket Mode")
    r.add_argument("--host", default="127.0.0.1",
                   help="with --http: the address to listen on (default 127.0.0.1: this machine "
                        "only; 0.0.0.0 for every interface, e.g. in a container)")
    r.add_argument("--port", type=int, default=3000)
    r.add_argument("--no-worker", action="store_true")

    w = sub.add_parser("worker", help="take jobs from the queue and answer them")
    w.add_argument("--metrics-port", type=int, metavar="P",
                   help="serve /healthz and /metrics on this port")
    w.add_argument("--metrics-host", default="127.0.0.1", metavar="ADDR",
                   help="the address for --metrics-port (default 127.0.0.1: this machine only)")
    return p


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:2] == ["receipt", "report"]:  # a file named "report": ./report
        argv = ["receipt-report", *argv[2:]]
    args = _parser().parse_args(argv)
    try:
        settings = _settings(args)
        configure_logging(settings)
        status = asyncio.run(_dispatch(args, settings)) if args.cmd != "doctor" else \
            _doctor(settings)
        sys.stdout.flush()  # a reader gone away is found here, not at exit
        return status
    except BrokenPipeError:
        _stdout_to_devnull()
        return EX_PIPE
    except (SettingsError, ConfigError) as exc:
        print(f"miru: {exc}", file=sys.stderr)
        return EX_USAGE
    except MiruError as exc:
        print(f"miru: {exc.user_message('en')}", file=sys.stderr)
        return EX_FAIL
    except KeyboardInterrupt:
        return EX_INTERRUPTED


def _stdout_to_devnull() -> None:
    """The reader of stdout left (``| head``): what is still buffered goes nowhere, so Python's
    flush at exit raises nothing (the recipe of the ``signal`` module's documentation)."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is no file (a test's buffer): nothing to silence
        pass
    finally:
        os.close(devnull)


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, object] = {}
    if getattr(args, "engine", None):
        overrides["vlm_backend"] = args.engine
    if getattr(args, "model", None):
        key = "openai_model" if getattr(args, "engine", None) == "openai" else "vlm_model"
        overrides[key] = args.model
    return load_settings(**overrides)


async def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    if args.cmd == "ask":
        return await _ask(args, settings)
    if args.cmd == "receipt":
        from bot.cli.receipt import receipt_command

        return await receipt_command(args.images, as_json=args.json, as_csv=args.csv,
                                     settings=settings, output=args.output)
    if args.cmd == "receipt-report":
        from bot.cli.receipt_report import report_command

        return await report_command(args, settings)
    if args.cmd == "screen":
        from bot.cli.screen import screen_command

        return await screen_command(args.paths, text=args.text, as_json=args.json,
                                    settings=settings)
    if args.cmd == "chat":
        from bot.cli.chat import chat_command

        return await chat_command(args, settings)
    if args.cmd == "clean":
        return await _clean(args, settings)
    if args.cmd == "audit":
        if args.audit_cmd == "export":
            from bot.cli.audit import export_command

            return export_command(settings, args.since, args.csv, args.path)
        return _audit_verify(args, settings)
    if args.cmd == "calibrate":
        from bot.cli.calibrate import calibrate_command

        return await calibrate_command(args.labelled_dir, target_fpr=args.target_fpr,
                                       as_json=args.json, settings=settings)
    if args.cmd == "review":
        from bot.cli.review import review_command

        return await review_command(args, settings)
    if args.cmd == "usage":
        from bot.cli.usage import usage_command

        return await usage_command(args, settings)
    if args.cmd == "jobs":
        from bot.cli.jobs import jobs_command

        return await jobs_command(args, settings)
    if args.cmd == "hashlist":
        from bot.cli.hashlist import hashlist_command

        return await hashlist_command(args, settings)
    if args.cmd in ("serve-api", "api-key", "webhooks"):
        from bot.cli.api import api_command

        return await api_command(args, settings)
    if args.cmd == "quarantine":
        from bot.jobs.housekeeping import purge_command

        return purge_command(settings, as_json=args.json)
    if args.cmd == "models":
        from bot.vision.pull import pull

        path = pull(args.model or settings.vlm_model, args.revision or settings.vlm_revision)
        print(f"model ready at {path}")
        return EX_OK
    if args.cmd == "run":
        from bot.cli.run import run_platform

        return await run_platform(args, settings)
    if args.cmd == "worker":
        from bot.cli.run import run_worker_only

        if args.metrics_port is not None and not 0 <= args.metrics_port <= 65535:
            print("miru: --metrics-port must be 0..65535", file=sys.stderr)
            return EX_USAGE
        return await run_worker_only(settings, metrics_port=args.metrics_port,
                                     metrics_host=args.metrics_host)
    raise AssertionError(args.cmd)


async def _ask(args: argparse.Namespace, settings: Settings) -> int:
    from bot.api.contract import refuse_unkept
    from bot.app import build_app
    from bot.cli.local import CLI_USER
    from bot.cli.review import redis_client_if_up
    from bot.errors import EvidenceNotKept

    paths = [Path(p) for p in args.images]
    review_redis = await redis_client_if_up(settings)  # held cases join the shared queue
    try:  # a bad policy file fails build_app: the client is closed all the same
        app = build_app(settings, memory_only=True, review_redis=review_redis)
    except BaseException:
        if review_redis is not None:
            await review_redis.aclose()
        raise
    try:
        if app.services.engine_note and not args.json:
            print(app.services.engine_note, file=sys.stderr)
        conv = LocalConversation(cli_message(paths, args.question, language=args.lang,
                                             consent=args.consent),
                                 show_progress=not args.json and sys.stderr.isatty())
        out = await app.pipeline.handle(conv)
        try:  # evidence kept nowhere: no verdict, audited
            await refuse_unkept(out, app.audit, platform="cli", user=CLI_USER,
                                name=", ".join(p.name for p in paths))
        except EvidenceNotKept as exc:
            print(f"miru: {exc.user_message('en')}", file=sys.stderr)
            return EX_FAIL
    finally:
        await app.close()
        if review_redis is not None:
            await review_redis.aclose()
    if args.json:
        print(dumps(outcome_json(out)))
    else:
        print(outcome_text(out))
    return EX_DATAERR if not out.decoded and out.rejections else EX_OK


async def _clean(args: argparse.Namespace, settings: Settings) -> int:
    from bot.imaging.ingest import sniff
    from bot.imaging.privacy import clean_image

    src = Path(args.image)
    try:
        data = src.read_bytes()
    except OSError as exc:
        print(f"miru: cannot read {src}: {exc.strerror}", file=sys.stderr)
        return EX_DATAERR
    if sniff(data) is None:
        print(f"miru: {strings.t('reject.format', 'en', name=src.name)}", file=sys.stderr)
        return EX_DATAERR
    try:
        faces = await _faces_for(data, src.name, settings) if args.blur_faces else ()
        cleaned = clean_image(data, blur_faces=args.blur_faces, faces=faces)
    except InputRejected as exc:
        print(f"miru: {exc.user_message('en', name=src.name)}", file=sys.stderr)
        return EX_DATAERR
    Path(args.output).write_bytes(cleaned)
    print(f"wrote {args.output} ({len(cleaned)} bytes, metadata removed"
          + (f", {len(faces)} face(s) pixelated)" if args.blur_faces else ")"))
    return EX_OK


async def _faces_for(data: bytes, name: str, settings: Settings):
    """Face boxes from the same gates the bot uses, so `clean --blur-faces` blurs what they see."""
    from bot.wiring import build_screening
    from safety.policy import context_for

    ingestor, screener, policy = build_screening(settings)
    try:
        decoded = await ingestor.decode(data, name=name)
        verdict = await screener.screen([decoded], context_for(policy, "cli", ""))
        return verdict.faces(0)
    finally:
        ingestor.close()


def _audit_verify(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.audit import verify_command

    return verify_command(args.path, settings)


def _doctor(settings: Settings) -> int:
    from bot.cli.doctor import doctor

    return EX_OK if not doctor(settings) else EX_FAIL


__all__ = ["main", "verdict_json"]
