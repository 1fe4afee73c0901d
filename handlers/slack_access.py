"""Team permissions on Slack: who is in a user group, who is a workspace admin (the Web API,
``bot.core.access.Directory``), and the private notice a refused user gets
(``chat.postEphemeral`` in the thread they wrote in: only they see it).

``usergroups.users.list`` needs ``usergroups:read`` and ``users.info`` needs ``users:read``
(docs/slack-manifest.yaml); ``bot.core.access`` caches both answers briefly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import structlog

from bot.models import IncomingMessage

log = structlog.get_logger(__name__)


class SlackDirectory:
    """``bot.core.access.Directory`` over a Bolt/slack_sdk ``AsyncWebClient``."""

    def __init__(self, client: Any) -> None:
        self.client = client

    async def group_members(self, workspace: str, group: str) -> Sequence[str]:
        resp = await self.client.usergroups_users_list(usergroup=group, team_id=workspace)
        return [str(u) for u in resp.get("users") or ()]

    async def is_admin(self, workspace: str, user: str) -> bool:
        """Workspace admins, owners and the primary owner (``users.info``) of *this*
        workspace: a user of another organisation (Slack Connect, another Enterprise Grid
        organisation) is an admin of their own, never here."""
        resp = await self.client.users_info(user=user)
        info = resp.get("user") or {}
        grid = info.get("enterprise_user") or {}
        if info.get("team_id") != workspace and workspace not in (grid.get("teams") or ()):
            return False
        return bool(info.get("is_admin") or info.get("is_owner")
                    or info.get("is_primary_owner"))


def ephemeral_notice(client: Any) -> Any:
    """The gateway's ``notify``: an ephemeral message to the author, in their thread."""

    async def notify(message: IncomingMessage, text: str) -> None:
        await client.chat_postEphemeral(channel=message.channel, user=message.user,
                                        thread_ts=message.thread, text=text)

    return notify
