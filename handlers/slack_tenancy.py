"""Which Slack organisation a request comes from, and whether Miru serves it.

Every request Slack sends (events, ``/miru``, buttons, modal submissions, menu options) passes
``tenant_of`` in one Bolt middleware (``handlers.slack``): the workspace Miru is installed in
(``auth.test``'s team, which Bolt's authorization puts on the context; the payload's team where
there is none) and the acting user's own team and Enterprise Grid organisation as the payload
gives them. A Slack Connect user, or a user of another Grid organisation, acts from *another*
organisation: they are never this workspace's admins or moderators (``SlackTenant.foreign``),
whatever their own workspace says of them.

With an allow-list (``MIRU_SLACK_ALLOWED_TEAMS``) both the installed workspace and the actor's
team (or organisation) must be on it (``SlackTenant.allowed``); anything else is dropped before
any listener runs, and a caller Slack gave a way to answer (a ``response_url``) is told so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.core.access import NO_MEMBER, Member

TENANT = "miru_tenant"  # where the middleware puts the request's tenant on Bolt's context


@dataclass(frozen=True)
class SlackTenant:
    """Where a request comes from. ``workspace``/``enterprise``: where Miru is installed;
    ``actor_team``/``actor_enterprise``: the acting user's own (empty where the payload does
    not say)."""

    workspace: str
    enterprise: str = ""
    actor_team: str = ""
    actor_enterprise: str = ""

    @property
    def foreign(self) -> bool:
        """The actor belongs to another organisation: another Grid organisation, or (outside
        Grid) another team than the installed one."""
        if self.actor_enterprise:  # a Grid user: of this organisation, or of none here
            return self.actor_enterprise != self.enterprise
        return bool(self.actor_team) and self.actor_team != self.workspace

    @property
    def actor_workspace(self) -> str:
        """The workspace the actor belongs to: this one, or their own when they are foreign
        (what review buttons are checked against)."""
        if not self.foreign:
            return self.workspace
        return self.actor_team or self.actor_enterprise

    def allowed(self, allow: tuple[str, ...]) -> bool:
        """Both the installed workspace and the actor's team (or Grid organisation) are on the
        allow-list; an empty list allows every team."""
        if not allow:
            return True
        actor_ok = (self.actor_team or self.workspace) in allow or (
            bool(self.actor_enterprise) and self.actor_enterprise in allow)
        return self.workspace in allow and actor_ok


def _id(value: Any) -> str:
    """A team or enterprise given as an id or as an object with one."""
    if isinstance(value, dict):
        value = value.get("id")
    return str(value or "")


def tenant_of(body: dict[str, Any], context: Any) -> SlackTenant:
    """The request's tenant from its body and Bolt's context (``authorize_result``: the
    installed team and organisation)."""
    auth = context.get("authorize_result") if hasattr(context, "get") else None
    payload_team = (_id(body.get("team")) or str(body.get("team_id") or "")
                    or str(getattr(context, "team_id", None) or ""))
    workspace = str(getattr(auth, "team_id", None) or "") or payload_team
    enterprise = str(getattr(auth, "enterprise_id", None) or "") or _id(
        body.get("enterprise")) or str(body.get("enterprise_id") or "")
    event = body.get("event")
    if isinstance(event, dict):  # the poster (Slack Connect: ``user_team``)
        actor = str(event.get("user_team") or event.get("team") or payload_team)
    else:  # commands: the caller's team; interactions: the user's own team
        user = body.get("user")
        actor = (str(user.get("team_id") or "") if isinstance(user, dict) else "") or \
            payload_team
    actor_enterprise = ""
    if actor.startswith("E"):  # an Enterprise Grid user's organisation, not a team
        actor, actor_enterprise = "", actor
    elif isinstance(body.get("user"), dict) and body["user"].get("enterprise_id"):
        actor_enterprise = str(body["user"]["enterprise_id"])
    return SlackTenant(workspace, enterprise, actor, actor_enterprise)


def tenant_in(context: Any) -> SlackTenant:
    """The tenant the middleware put on the context."""
    tenant = context.get(TENANT)
    assert isinstance(tenant, SlackTenant), "the tenants middleware runs first"
    return tenant


def member_for(context: Any) -> Member:
    """What Slack's payload says of the caller: a user of another organisation (Slack Connect,
    another Grid organisation) is never this workspace's admin; anyone else: ask the
    directory."""
    return Member(admin=False) if tenant_in(context).foreign else NO_MEMBER
