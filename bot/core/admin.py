"""``/miru admin``: workspace admins show and change who may use Miru, on every platform.

Only an admin (an ``admin`` grant, or the platform's own workspace admin: ``Access.is_admin``)
gets past the first line; anyone else is refused and the attempt audited
(``permission_denied``). Every change is one overlay field (``Access.change``) and one audit
record (``permission_change``: what, the subject, the effective level before and after; a
person is recorded by pseudonym, like every actor). Bad input changes nothing and answers with
the usage.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import structlog

from bot import keys, strings
from bot.core.access import NO_MEMBER, Access, Effective, Member, Subject
from bot.core.commands import Admin
from bot.errors import MiruError
from config.policy import Level

if TYPE_CHECKING:
    from bot.evidence.audit import AuditLog

log = structlog.get_logger(__name__)

SHOW_PER_LEVEL = 20  # subjects listed per level in ``/miru admin`` (the rest are counted)


@dataclass(frozen=True)
class Caller:
    """Who ran ``/miru admin`` where: the workspace (guild), the channel, and what the event
    said of them (Discord roles and admin permission)."""

    platform: str
    workspace: str
    channel: str
    user: str
    member: Member = NO_MEMBER


def mention(platform: str, subject: Subject) -> str:
    if subject.kind == "group":
        return f"<!subteam^{subject.id}>"
    if subject.kind == "role":
        return f"<@&{subject.id}>"
    return f"<@{subject.id}>"


async def run_admin(access: Access, audit: AuditLog, cmd: Admin, caller: Caller,
                    lang: str) -> str:
    """The sentence to show the caller (ephemerally)."""
    if not caller.workspace or caller.workspace == "dm":
        return strings.t("admin.no_workspace", lang)
    if not await access.is_admin(caller.platform, caller.workspace, caller.user,
                                 caller.member):
        await _audit(audit, "permission_denied", caller, {"command": "admin", "op": cmd.op})
        return strings.t("admin.not_admin", lang)
    if cmd.op == "usage":
        return strings.t("admin.usage", lang)
    before = await access.effective(caller.platform, caller.workspace)
    if cmd.op == "show":
        return show(before, caller.platform, lang)
    if cmd.op in ("grant", "revoke"):
        kind, _, ident = cmd.subject.partition(":")
        subject = Subject(kind, ident)  # type: ignore[arg-type]
        new = Level(cmd.level) if cmd.op == "grant" else Level.NONE
        old = before.grants.get(subject, Level.NONE)
        if not await _change(access, caller, subject.field, new.value):
            return _full(lang)
        shown = ident if kind != "user" else audit.pseudonym(caller.platform, ident)
        await _audit(audit, "permission_change", caller, {
            "op": cmd.op, "subject": f"{kind}:{shown}", "old": old.value, "new": new.value})
        return strings.t("admin.granted", lang, who=mention(caller.platform, subject),
                         level=new.value, old=old.value)
    if cmd.op == "everyone":
        if not await _change(access, caller, "everyone", cmd.level):
            return _full(lang)
        await _audit(audit, "permission_change", caller, {
            "op": "everyone", "old": before.everyone.value, "new": cmd.level})
        return strings.t("admin.everyone_set", lang, level=cmd.level, old=before.everyone.value)
    add = cmd.op == "channel_add"
    if not await _change(access, caller, f"channel:{cmd.channel}", "+" if add else "-"):
        return _full(lang)
    after = await access.effective(caller.platform, caller.workspace)
    await _audit(audit, "permission_change", caller, {
        "op": cmd.op, "channel": cmd.channel, "old": list(before.channels)[:50],
        "new": list(after.channels)[:50]})
    text = strings.t("admin.channel_added" if add else "admin.channel_removed", lang,
                     channel=f"<#{cmd.channel}>")
    if not add and not after.channels:
        text += " " + strings.t("admin.channels_now_all", lang)
    return text


def show(eff: Effective, platform: str, lang: str) -> str:
    """The settings in force, bounded: ``SHOW_PER_LEVEL`` subjects per level."""
    if not eff.configured:
        return strings.t("admin.show_default", lang)
    lines = []
    for level in (Level.ADMIN, Level.APPROVE, Level.SHARE, Level.EDIT, Level.VIEW,
                  Level.NONE):
        subjects = sorted((s for s, lv in eff.grants.items() if lv is level),
                          key=lambda s: (s.kind, s.id))
        if not subjects:
            continue
        shown = ", ".join(mention(platform, s) for s in subjects[:SHOW_PER_LEVEL])
        if len(subjects) > SHOW_PER_LEVEL:
            shown += " " + strings.t("admin.more", lang, count=len(subjects) - SHOW_PER_LEVEL)
        lines.append(f"{level.value}: {shown}")
    channels = eff.channels[:SHOW_PER_LEVEL]
    listed = ", ".join(f"<#{c}>" for c in channels) or strings.t("admin.all_channels", lang)
    if len(eff.channels) > SHOW_PER_LEVEL:
        listed += " " + strings.t("admin.more", lang,
                                  count=len(eff.channels) - SHOW_PER_LEVEL)
    return strings.t("admin.show", lang, everyone=eff.everyone.value, channels=listed,
                     dms=strings.t("admin.dms_on" if eff.direct_messages else "admin.dms_off",
                                   lang),
                     grants="\n".join(lines) or strings.t("admin.no_grants", lang))


def _full(lang: str) -> str:
    return strings.t("admin.full", lang, limit=keys.ACCESS_OVERLAY_MAX_FIELDS)


async def _change(access: Access, caller: Caller, name: str, value: str) -> bool:
    changed, _ = await access.change(caller.platform, caller.workspace, name, value)
    return changed


async def _audit(audit: AuditLog, kind: Any, caller: Caller, detail: dict[str, Any]) -> None:
    try:
        await audit.write(audit.record(kind, "", platform=caller.platform, user=caller.user,
                                       channel=caller.channel,
                                       detail={"workspace": caller.workspace, **detail}))
    except MiruError as exc:
        log.error("admin.audit_failed", error=exc.code)
