"""The OpenAPI 3.1 document served at ``/v1/openapi.json``, written by hand. A test compares its
paths and methods with the server's routes, so the two cannot drift apart."""

from __future__ import annotations

from typing import Any

from bot.api.apikeys import SCOPES
from bot.receipts.model import FIELDS

_ERROR = {"$ref": "#/components/schemas/Error"}


def _err(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": _ERROR}}}


_UPLOAD = {
    "required": True,
    "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["image"], "additionalProperties": False,
        "properties": {
            "image": {"type": "array", "minItems": 1,
                      "items": {"type": "string", "format": "binary"},
                      "description": "one or more image files (JPEG, PNG, WebP, GIF, HEIC); "
                                     "at most MIRU_MAX_FILES per request (413 past it)"},
            "question": {"type": "string", "maxLength": 4000,
                         "description": "the question (ask) or the message text the images "
                                        "came with (screen): at most 16 KB of UTF-8, which "
                                        "4000 characters always fit"},
            "lang": {"type": "string", "enum": ["ja", "en"]},
            "consent": {"type": "boolean",
                        "description": "everyone shown agreed to be shared (like --consent)"},
        }}}},
}

def _with_headers(response: dict[str, Any], **headers: tuple[str, bool]) -> dict[str, Any]:
    """``response`` with documented headers: name -> (description, required)."""
    return {**response, "headers": {
        name.replace("_", "-"): {"description": text, "required": required,
                                 "schema": {"type": "string"}}
        for name, (text, required) in headers.items()}}


_RETRY_AFTER = ("seconds to wait before trying again", True)
_UNAUTHORIZED = _with_headers(_err("no valid API key"), WWW_Authenticate=(
    'Bearer realm="miru" (with error="invalid_token" when a key was sent)', True))

_UPLOAD_ERRORS = {
    "400": _err("a malformed form, an unknown field, no image, or a bad Idempotency-Key"),
    "401": _UNAUTHORIZED,
    "403": _err("the key lacks this route's scope"),
    "408": _err("the body did not arrive whole within MIRU_HTTP_BODY_TIMEOUT_S of the "
                "request head (body_timeout); the connection is closed"),
    "409": _with_headers(_err("a request with this Idempotency-Key is still running "
                              "(idempotency_in_progress)"), Retry_After=_RETRY_AFTER),
    "413": _err("the body is over MIRU_API_MAX_BODY_BYTES, or too many images"),
    "415": _err("not multipart/form-data"),
    "429": _with_headers(_err(
        "over the workspace's quota (quota_*), or too many requests with a bad key from your "
        "address (too_many_failures)"), Retry_After=_RETRY_AFTER),
    "503": _with_headers(_err(
        "Redis is unreachable, or an image whose verdict preserves it (hold, "
        "block_and_preserve) could be kept nowhere (not_preserved: no verdict is given)"),
        Retry_After=("seconds to wait before trying again", False)),
}

_IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "description": "the same key and form within 24 h replay the first answer "
                   "(Idempotent-Replayed: true); another form is a 422, a request still running "
                   "a 409 (docs/api.md)",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255,
               "pattern": "^[\\x21-\\x7e]+$"}}


def _answer(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return _with_headers({"description": description,
                          "content": {"application/json": {"schema": schema}}},
                         Idempotent_Replayed=("true when this is the first answer to the same "
                                              "Idempotency-Key and form, sent again", False))


def _unusable(schema: dict[str, Any]) -> dict[str, Any]:
    """422: no file could be used (the answer's own shape), or the Idempotency-Key was used
    for another form (an Error)."""
    return _answer("no file could be used as an image (the same shape as 200), or the "
                   "Idempotency-Key was used with another form or route (idempotency_mismatch)",
                   {"anyOf": [schema, _ERROR]})


def _secured(scope: str) -> list[dict[str, list[str]]]:
    return [{"bearer": [scope]}]


_NULL = {"type": "null"}
_PROBLEM = {"type": "object", "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}
_ACTIONS = ["allow", "allow_blurred", "confirm", "hold", "block", "block_and_preserve"]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _schemas() -> dict[str, Any]:
    return {
        "Error": {"type": "object", "required": ["error"], "properties": {
            "error": {"type": "object", "required": ["code", "message"], "properties": {
                "code": {"type": "string"}, "message": {"type": "string"},
                "reset": {"type": ["string", "null"],
                          "description": "429 over a quota: when it resets (UTC, ISO 8601)"},
                "limit": {"type": ["integer", "null"]},
                "tier": {"type": ["string", "null"]}}}}},
        "Verdict": {"type": ["object", "null"], "properties": {
            "action": {"type": "string", "enum": _ACTIONS},
            "reasons": {"type": "array", "items": {"type": "string"}},
            "findings": {"type": "array", "items": {"type": "object"}},
            "scores": {"type": "object"}, "escalated": {"type": "boolean"},
            "model_versions": {"type": "object"}}},
        "AskResult": {
            "type": "object", "description": "the object `miru ask --json` prints",
            "required": ["verdict", "images", "answer", "engine", "error", "reply", "language"],
            "properties": {
                "verdict": _ref("Verdict"),
                "images": {"type": "array", "items": {"type": "object", "required": ["index"]}},
                "answer": {"type": ["string", "null"]},
                "engine": {"type": ["string", "null"]},
                "error": {"anyOf": [_NULL, _PROBLEM]},
                "reply": {"type": ["string", "null"]},
                "language": {"type": "string"}}},
        "ScreenResult": {
            "type": "object", "description": "a line of `miru screen --json`: file and verdict, "
            "or file and error", "required": ["file"],
            "oneOf": [{"required": ["verdict"]}, {"required": ["error"]}],
            "properties": {"file": {"type": "string"}, "verdict": _ref("Verdict"),
                           "error": _PROBLEM,
                           "case": {"type": "string", "description": "the review case a "
                                    "held image opened (never given for block_and_preserve)"}}},
        "ReceiptResult": {
            "type": "object", "description": "an entry of `miru receipt --json`: file, verdict "
            "action (null when never screened), the receipt fields (null where not found; "
            "`confidence` after the vision model's second opinion where one is configured), "
            "checks, error",
            "required": ["file", "verdict", "checks", "error"],
            "properties": {"file": {"type": "string"},
                           "verdict": {"anyOf": [_NULL, {"type": "string", "enum": _ACTIONS}]},
                           "checks": {"type": "array", "items": _ref("ReceiptCheck"),
                                      "description": "the fields a vision model read otherwise "
                                      "(the entry keeps the OCR reading, its confidence "
                                      "lowered): empty when it agreed, was not asked or none "
                                      "is configured"},
                           "error": {"anyOf": [_NULL, _PROBLEM]}}},
        "ReceiptCheck": {
            "type": "object", "description": "a field to check: its name and the vision "
            "model's reading of it, as the receipt fields print values",
            "required": ["field", "model"], "additionalProperties": False,
            "properties": {"field": {"type": "string", "enum": list(FIELDS)},
                           "model": {"type": ["string", "null"]}}},
        "Case": {"type": "object", "description": "a review case of the key's workspace "
                 "(never an image); `decided_by` is the decider's pseudonym, as in the audit "
                 "log", "required": ["id", "action", "status", "created", "workspace"],
                 "properties": {"id": {"type": "string"}, "action": {"type": "string"},
                                "status": {"type": "string"}, "created": {"type": "string"},
                                "workspace": {"type": "string"},
                                "decided_by": {"type": "string"}}},
        "Health": {"type": "object", "required": ["ok", "redis", "workers"], "properties": {
            "ok": {"type": "boolean"}, "redis": {"type": "boolean"},
            "status": {"type": "string", "enum": ["ok", "degraded", "down"]},
            "workers": {"type": "integer", "minimum": 0},
            "unserved": {"type": "object", "description": "platform -> jobs waiting that no "
                         "live worker serves",
                         "additionalProperties": {"type": "integer", "minimum": 0}},
            "reasons": {"type": "array", "items": {"type": "string"}}}},
    }


def _upload_route(summary: str, scope: str, ok: str, schema: dict[str, Any],
                  **more: dict[str, Any]) -> dict[str, Any]:
    return {"post": {
        "summary": summary, "security": _secured(scope), "parameters": [_IDEMPOTENCY_KEY],
        "requestBody": _UPLOAD,
        "responses": {"200": _answer(ok, schema), "422": _unusable(schema), **_UPLOAD_ERRORS,
                      **more}}}


def document() -> dict[str, Any]:
    health = {"application/json": {"schema": _ref("Health")}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Miru integration API", "version": "1",
                 "description": "Screened image answers for other systems. docs/api.md has "
                                "examples, errors, keys and webhooks."},
        "components": {
            "securitySchemes": {"bearer": {
                "type": "http", "scheme": "bearer",
                "description": "miru api-key create NAME --scope " + ",".join(SCOPES)}},
            "schemas": _schemas(),
        },
        "paths": {
            "/v1/ask": _upload_route(
                "screen images, then answer a question about the allowed ones", "ask",
                "a verdict was reached (whatever it is)", _ref("AskResult")),
            "/v1/screen": _upload_route(
                "the safety verdict of each image, alone (no model answers)", "screen",
                "one result per image, in order",
                {"type": "array", "items": _ref("ScreenResult")}),
            "/v1/receipts": _upload_route(
                "screen each image, then read the allowed ones as receipts", "receipts",
                "one entry per image, in order",
                {"type": "array", "items": _ref("ReceiptResult")},
                **{"403": _err("the key lacks the receipts scope, or the plan has receipts "
                               "off")}),
            "/v1/cases": {"get": {
                "summary": "the review queue of the key's workspace (an operator's key made "
                           "with --all-workspaces: every workspace's), oldest first",
                "security": _secured("cases"),
                "parameters": [
                    {"name": "status", "in": "query", "schema": {
                        "type": "string",
                        "enum": ["pending", "approved", "rejected", "escalated"]}},
                    {"name": "limit", "in": "query",
                     "schema": {"type": "integer", "minimum": 1, "maximum": 1000,
                                "default": 100}}],
                "responses": {
                    "200": {"description": "cases", "content": {"application/json": {
                        "schema": {"type": "array", "items": _ref("Case")}}}},
                    "400": _err("a bad status or limit"),
                    "401": _UNAUTHORIZED, "403": _UPLOAD_ERRORS["403"],
                    "429": _with_headers(_err("too many requests with a bad key from your "
                                              "address (too_many_failures)"),
                                         Retry_After=_RETRY_AFTER),
                    "503": _UPLOAD_ERRORS["503"]}}},
            "/v1/openapi.json": {"get": {
                "summary": "this document", "security": [],
                "responses": {"200": {"description": "OpenAPI 3.1", "content": {
                    "application/json": {"schema": {"type": "object",
                                                    "required": ["openapi", "paths"]}}}}}}},
            "/healthz": {"get": {
                "summary": "200 when Redis answers, a worker was seen in the last minute and "
                           "every platform with jobs waiting has a live worker",
                "security": [],
                "responses": {"200": {"description": "healthy", "content": health},
                              "503": {"description": "Redis, workers or a platform's "
                                                     "workers missing (reasons)",
                                      "content": health}}}},
            "/metrics": {"get": {
                "summary": "Prometheus metrics of this process", "security": [],
                "responses": {"200": {"description": "the Prometheus text format 0.0.4",
                                      "content": {"text/plain": {
                                          "schema": {"type": "string"}}}}}}},
        },
    }
