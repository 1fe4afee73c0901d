"""``miru serve-api``: the integration API over aiohttp.

Every ``/v1`` route but the OpenAPI document needs ``Authorization: Bearer KEY`` with the route's
scope (401, 403 otherwise, 429 past failed keys: ``bot.api.refusals`` audits them as summaries).
Uploads go through the bounded reader (``bot.api.upload``: 415, 413, 400), then the same ingress
as a chat message (``bot.core.ingress``: the quota, 429 with ``Retry-After``, audited as
``quota_refused``), then the same code as the command line: ``/v1/ask`` runs the app's one-shot
pipeline (``App.one_shot``) in-process on an ``ApiConversation`` (the thread lives for this
request only, like ``miru ask``), ``/v1/screen`` and ``/v1/receipts`` the per-image steps of
``bot.api.contract`` and ``bot.api.receipt_read`` (a receipt gets a vision model's second
opinion where one is configured, as in an expense thread); ``/v1/cases`` the key's
workspace's cases (``bot.api.cases``). Every error is ``{"error": {"code", "message"}}``;
unknown routes 404 and wrong methods 405 answer the same way. ``/healthz`` and ``/metrics``
are served too.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot import strings
from bot.api.apikeys import ApiKey, ApiKeys, Scope
from bot.api.cases import case_json, case_query, scope_of
from bot.api.contract import keep_with, outcome_json, refuse_unkept, screen_image
from bot.api.conversation import ApiConversation, files_by_id, refs_for
from bot.api.errors import ApiError, error_response
from bot.api.idempotency import IdempotencyStore, claim_for, remember_key
from bot.api.idempotency import middleware as idempotency_middleware
from bot.api.openapi import document
from bot.api.receipt_read import read_receipt_image, receipt_entry, second_opinion, settle_read
from bot.api.refusals import RefusalSummary, SourceThrottle, offered_key, summarised
from bot.api.upload import Limits, Upload, read_upload
from bot.core.pipeline import request_id_for
from bot.errors import EvidenceNotKept, StoreUnavailable
from bot.models import IncomingMessage
from bot.ops.http import add_routes
from bot.ops.listen import BodyTimeout

if TYPE_CHECKING:
    from bot.runtime import App

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
CHANNEL = "api"  # the policy file's channel entry for API requests (defaults when absent)


def limits_for(app: App) -> Limits:
    s = app.settings
    return Limits(max_body=s.api_max_body_bytes, max_images=s.max_files,
                  max_file_bytes=s.max_bytes)


def _lang(request: web.Request) -> str:
    """Error messages in Japanese when the caller prefers it (``Accept-Language: ja``)."""
    accept = request.headers.get("Accept-Language", "").strip().lower()
    return "ja" if accept.startswith("ja") else "en"


class ApiServer:
    def __init__(self, app: App, api_keys: ApiKeys, *, limits: Limits | None = None) -> None:
        self.app = app
        self.keys = api_keys
        self.limits = limits or limits_for(app)
        s = app.settings
        self.refusals = RefusalSummary(app.audit, window_s=s.api_refusal_window_s)
        self.throttle = SourceThrottle(s.api_max_auth_failures, window_s=s.api_refusal_window_s)
        self.idempotency = IdempotencyStore(app.redis) if app.redis is not None else None
        self.keeper = app.pipeline.steps.keeper  # held and preserved files: bot.review.keep

    # -- routes ---------------------------------------------------------------------------
    def routes(self) -> list[tuple[str, str, Handler]]:
        """(method, path, handler) of every route; ``bot.api.openapi`` documents each one (a
        test holds them together)."""
        return [
            ("POST", "/v1/screen", self.screen),
            ("POST", "/v1/ask", self.ask),
            ("POST", "/v1/receipts", self.receipts),
            ("GET", "/v1/cases", self.cases),
            ("GET", "/v1/openapi.json", self.openapi),
        ]

    def application(self) -> web.Application:
        # client_max_size bounds request.read()/post(); the multipart reader counts by itself
        application = web.Application(client_max_size=self.limits.max_body, middlewares=[
            self._errors, idempotency_middleware(self.idempotency)])
        add_routes(application, self.app.ops)
        for method, path, handler in self.routes():
            application.router.add_route(method, path, handler)
        application.cleanup_ctx.append(self._summaries)
        return application

    async def _summaries(self, _: web.Application) -> AsyncIterator[None]:
        """The refusal summaries' flusher while serving; what is left is written at the end."""
        async with summarised(self.refusals):
            yield

    @web.middleware
    async def _errors(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        lang = _lang(request)
        try:
            return await handler(request)
        except ApiError as exc:
            return exc.response(lang)
        except web.HTTPMethodNotAllowed as exc:
            allowed = ", ".join(sorted(exc.allowed_methods))
            return error_response(405, "method_not_allowed", strings.t(
                "api.method_not_allowed", lang, method=request.method, path=request.path,
                allowed=allowed), headers={"Allow": allowed})
        except web.HTTPNotFound:
            return error_response(404, "not_found",
                                  strings.t("api.not_found", lang, path=request.path[:200]))
        except BodyTimeout:
            response = error_response(408, "body_timeout", strings.t("http.body_timeout", lang))
            response.force_close()
            return response
        except web.HTTPRequestEntityTooLarge:
            return error_response(413, "body_too_large", strings.t(
                "api.too_large", lang, size=request.content_length or "?",
                limit=self.limits.max_body))
        except web.HTTPException as exc:
            return error_response(exc.status, "http_error", exc.reason)
        except EvidenceNotKept as exc:  # fail closed: no verdict for what was not kept
            log.error("api: evidence not kept: %s", exc.detail)
            return error_response(503, exc.code, exc.user_message(lang),
                                  headers={"Retry-After": "5"})
        except StoreUnavailable as exc:
            log.warning("api: store unavailable: %s", exc.code)
            return error_response(503, "unavailable", strings.t("store.unavailable", lang),
                                  headers={"Retry-After": "5"})
        except Exception:
            log.exception("api: request failed")
            return error_response(500, "internal", strings.t("error.generic", lang))

    # -- handlers -------------------------------------------------------------------------
    async def openapi(self, request: web.Request) -> web.Response:
        return web.json_response(document())

    async def ask(self, request: web.Request) -> web.Response:
        key = await self._key(request, "ask")
        upload = await self._upload(request)
        message = self._message(key, upload)
        async with self._admitted(request, message):
            conv = ApiConversation(message, files_by_id(upload.files))
            out = await self.app.one_shot().handle(conv)
        await refuse_unkept(out, self.app.audit, platform="api", user=key.name,
                            name=", ".join(f.name for f in upload.files))
        status = 422 if not out.decoded and out.rejections else 200
        return _json(outcome_json(out), status)

    async def screen(self, request: web.Request) -> web.Response:
        key = await self._key(request, "screen")
        upload = await self._upload(request)
        message = self._message(key, upload)
        s = self.app.services
        results = []
        async with self._admitted(request, message):
            for i, f in enumerate(upload.files):
                rid, lang = f"{request_id_for(message)}:{i}", upload.lang or "en"
                got = await screen_image(
                    f.data, f.name, size=f.size, max_bytes=self._max_bytes(key),
                    text=upload.question, ingestor=s.ingestor, screener=s.screener,
                    policy=s.policy, audit=s.audit, channel=CHANNEL, platform="api",
                    keep=keep_with(self.keeper, message, rid, lang=lang), request_id=rid,
                    user=key.name, lang=lang, age_stage=s.age_stage)
                results.append(got.as_json(f.name))
        usable = any("verdict" in r for r in results)
        return _json(results, 200 if usable else 422)

    async def receipts(self, request: web.Request) -> web.Response:
        key = await self._key(request, "receipts")
        s = self.app.services
        if not s.policy.tier_for(key.workspace)[1].receipts:
            raise ApiError(403, "receipts_off", "api.receipts_off")
        if s.read_receipt is None:
            raise StoreUnavailable("receipts need Redis (build_app without it)")
        upload = await self._upload(request)
        message = self._message(key, upload)
        rid = request_id_for(message)
        entries = []
        async with self._admitted(request, message):
            for i, f in enumerate(upload.files):
                got = await second_opinion(await read_receipt_image(
                    f.data, f.name, size=f.size, max_bytes=self._max_bytes(key),
                    ingestor=s.ingestor, screener=s.screener, policy=s.policy,
                    read=s.read_receipt, channel=CHANNEL, lang=upload.lang or "en",
                    for_opinion=s.receipt_opinion is not None), s.receipt_opinion)
                keep = keep_with(self.keeper, message, f"{rid}:{i}", lang=upload.lang or "en")
                await settle_read(got, f.data, keep, audit=s.audit, request_id=f"{rid}:{i}",
                                  platform="api", user=key.name, name=f.name)
                entries.append(receipt_entry(
                    f.name, got.verdict.action.value if got.verdict else None, got.fields,
                    got.error, got.checks))
        usable = any(e["verdict"] is not None for e in entries)
        return _json(entries, 200 if usable else 422)

    async def cases(self, request: web.Request) -> web.Response:
        key = await self._key(request, "cases")
        review = self.app.services.review
        if review is None:
            raise ApiError(503, "unavailable", "api.no_review")
        status, limit = case_query(request.query)
        workspace = scope_of(key)  # None: an operator's key
        found = await review.store.list(status, limit=limit, workspace=workspace)
        await review.audit.write(review.audit.record(
            "review_view", "review:list", platform="api", user=key.name, action="list",
            detail={"count": len(found), "status": status.value if status else None,
                    "workspace": workspace or "*"}))
        return _json([case_json(c, review.audit.pseudonym) for c in found], 200)

    # -- steps ----------------------------------------------------------------------------
    async def _key(self, request: web.Request, scope: Scope) -> ApiKey:
        """The caller's key when valid and allowed ``scope``; 401/403 otherwise, 429 past too
        many failed keys from the caller's address (each counted in the refusal summary)."""
        header = request.headers.get("Authorization", "")
        kind, _, token = header.partition(" ")
        key = await self.keys.check(token.strip()) if kind.lower() == "bearer" else None
        if key is None:
            offered = offered_key(header)
            if self.throttle.failed(request.remote or "unknown"):
                self._refused(request, offered, "throttled", 429)
                retry = self.throttle.retry_after()
                raise ApiError(429, "too_many_failures", "api.too_many_failures",
                               headers={"Retry-After": str(retry)}, retry=retry)
            self._refused(request, offered, "missing" if not header else "invalid", 401)
            challenge = 'Bearer realm="miru"' + (
                ', error="invalid_token"' if header else "")
            raise ApiError(401, "unauthorized", "api.unauthorized",
                           headers={"WWW-Authenticate": challenge})
        if scope not in key.scopes:
            self._refused(request, key.id, f"scope {scope}", 403)
            raise ApiError(403, "forbidden", "api.forbidden", scope=scope,
                           scopes=", ".join(key.scopes) or "none")
        remember_key(request, key)
        return key

    def _refused(self, request: web.Request, key: str, reason: str, status: int) -> None:
        self.refusals.note(key=key, reason=reason, status=status,
                           route=f"{request.method} {request.path[:100]}")

    async def _upload(self, request: web.Request) -> Upload:
        upload = await read_upload(request, self.limits)
        if not upload.files:
            raise ApiError(400, "no_image", "api.no_image")
        await claim_for(request, upload, self.idempotency)  # Idempotency-Key: replay, 409, 422
        return upload

    def _message(self, key: ApiKey, upload: Upload) -> IncomingMessage:
        rid = uuid.uuid4().hex
        return IncomingMessage(platform="api", workspace=key.workspace, channel=CHANNEL,
                               thread=rid, message_id=rid, user=key.name, text=upload.question,
                               images=refs_for(upload.files), event_id=rid,
                               language=upload.lang, consent_confirmed=upload.consent)

    def _max_bytes(self, key: ApiKey) -> int:
        _, tier = self.app.policy.tier_for(key.workspace)
        return min(self.app.settings.max_bytes, int(tier.max_image_mb * 1024 * 1024))

    @contextlib.asynccontextmanager
    async def _admitted(self, request: web.Request, message: IncomingMessage
                        ) -> AsyncIterator[None]:
        """The chat quota through the shared ``Ingress`` (one Lua script, a refusal audited):
        429 when over it, the slot freed when done; a quota store that does not answer: 503."""
        ingress = self.app.ingress
        async with ingress.admitted(message) as admission:
            if not admission.ok:
                reset = admission.reset_at
                raise ApiError(429, f"quota_{admission.scope}", f"quota.{admission.scope}",
                               headers={"Retry-After": str(ingress.retry_after_s(admission))},
                               extra={"reset": reset.isoformat() if reset else None,
                                      "limit": admission.limit, "tier": admission.tier},
                               limit=admission.limit,
                               reset=reset.strftime("%Y-%m-%d %H:%M UTC") if reset else "")
            yield


def _json(body: Any, status: int) -> web.Response:
    import json

    return web.json_response(body, status=status,
                             dumps=lambda o: json.dumps(o, ensure_ascii=False))


async def start(server: ApiServer, *, host: str, port: int) -> tuple[web.AppRunner, int]:
    """Serve until the runner is cleaned up; returns it and the bound port (``port=0``: any).
    The listener's guards (header and body timeouts, connection cap: ``bot.ops.listen``) come
    from the settings; ``ListenError`` when the port cannot be bound."""
    from bot.ops.listen import HttpGuards, serve

    return await serve(server.application(), host=host, port=port,
                       guards=HttpGuards.from_settings(server.app.settings))
