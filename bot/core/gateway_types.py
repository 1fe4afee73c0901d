"""The types the gateway and its helpers (``command_runner``, ``receipt_start``) share: what
the gateway needs of the app, how a refused user is told, and the gateway as its helpers see
it (a protocol, so they need not import ``bot.core.gateway``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Protocol

from bot.models import IncomingMessage

if TYPE_CHECKING:
    from bot.core.access import Access, Member
    from bot.core.account import Account
    from bot.core.home import Health
    from bot.core.ingress import Ingress
    from bot.evidence.audit import AuditLog
    from bot.ports import Clock, Platform
    from bot.review.desk import ReviewDesk
    from bot.stores.base import StateStore
    from bot.stores.redis_base import RedisLike
    from config.policy import PolicyConfig

Notify = Callable[[IncomingMessage, str], Awaitable[None]]


class Submitted(Protocol):
    @property
    def status(self) -> str: ...


class GatewayApp(Protocol):
    """What the gateway needs of ``bot.runtime.App`` (tests pass a real one on memory stores)."""

    @property
    def account(self) -> Account: ...

    @property
    def state(self) -> StateStore: ...

    @property
    def audit(self) -> AuditLog: ...

    @property
    def policy(self) -> PolicyConfig: ...

    @property
    def ingress(self) -> Ingress: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def redis(self) -> RedisLike | None: ...

    @property
    def health(self) -> Health | None: ...

    async def submit(self, message: IncomingMessage) -> Submitted: ...



class GatewayLike(Protocol):
    """The gateway as ``command_runner`` and ``receipt_start`` use it."""

    app: GatewayApp
    platform: Platform
    access: Access
    review: ReviewDesk | None

    @property
    def name(self) -> str: ...

    async def language(self, user: str, text: str = "") -> str: ...

    async def permit(self, message: IncomingMessage, member: Member = ..., *,
                     notify: Notify | None = None) -> IncomingMessage | str: ...

    async def submit(self, message: IncomingMessage) -> str: ...
