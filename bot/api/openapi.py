"""The OpenAPI 3.1 document served at ``/v1/openapi.json``, written by hand. A test compares its
paths and methods with the server's routes, so the two cannot drift apart."""

from __future__ import annotations

from typing import Any

from bot.api.apikeys import SCOPES

_ERROR = {"$ref": "#/components/schemas/Error"}


def _err(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": _ERROR}}}


_UPLOAD = {
    "required": True,
    "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["image"],
        "properties": {
            "image": {"type": "array", "items": {"type": "string", "format": "binary"},
                      "description": "one or more image files (JPEG, PNG, WebP, GIF, HEIC); "
                                     "at most MIRU_MAX_FILES per request"},
            "question": {"type": "string", "description": "the question (ask) or the message "
                                                          "text the images came with (screen)"},
            "lang": {"type": "string", "enum": ["ja", "en"]},
            "consent": {"type": "boolean",
                        "description": "everyone shown agreed to be shared (like --consent)"},
        }}}},
}

_UPLOAD_ERRORS = {
    "400": _err("a malformed form, an unknown field or no image"),
    "401": _err("no valid API key (WWW-Authenticate: Bearer)"),
    "403": _err("the key lacks this route's scope"),
    "413": _err("the body is over MIRU_API_MAX_BODY_BYTES, or too many images"),
    "415": _err("not multipart/form-data"),
    "429": _err("over the workspace's quota, or too many requests with a bad key from your "
                "address (too_many_failures); Retry-After says when to come back"),
    "503": _err("Redis is unreachable"),
}


def _secured(scope: str) -> list[dict[str, list[str]]]:
    return [{"bearer": [scope]}]


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Miru integration API", "version": "1",
                 "description": "Screened image answers for other systems. docs/api.md has "
                                "examples, errors, keys and webhooks."},
        "components": {
            "securitySchemes": {"bearer": {
                "type": "http", "scheme": "bearer",
                "description": "miru api-key create NAME --scope " + ",".join(SCOPES)}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {
                    "error": {"type": "object", "required": ["code", "message"], "properties": {
                        "code": {"type": "string"}, "message": {"type": "string"},
                        "reset": {"type": ["string", "null"],
                                  "description": "429: when the quota resets (UTC)"}}}}},
                "Verdict": {"type": ["object", "null"], "properties": {
                    "action": {"type": "string", "enum": [
                        "allow", "allow_blurred", "confirm", "hold", "block",
                        "block_and_preserve"]},
                    "reasons": {"type": "array", "items": {"type": "string"}},
                    "findings": {"type": "array", "items": {"type": "object"}},
                    "scores": {"type": "object"}, "escalated": {"type": "boolean"},
                    "model_versions": {"type": "object"}}},
                "AskResult": {"type": "object", "description": "the object `miru ask --json` "
                              "prints", "properties": {
                                  "verdict": {"$ref": "#/components/schemas/Verdict"},
                                  "images": {"type": "array", "items": {"type": "object"}},
                                  "answer": {"type": ["string", "null"]},
                                  "engine": {"type": ["string", "null"]},
                                  "error": {"type": ["object", "null"]},
                                  "reply": {"type": ["string", "null"]},
                                  "language": {"type": "string"}}},
                "ScreenResult": {"type": "object", "description": "a line of `miru screen "
                                 "--json`: file and verdict, or file and error",
                                 "properties": {
                                     "file": {"type": "string"},
                                     "verdict": {"$ref": "#/components/schemas/Verdict"},
                                     "error": {"type": "object"}}},
                "ReceiptResult": {"type": "object", "description": "an entry of `miru receipt "
                                  "--json`: file, verdict action, receipt fields, error"},
                "Case": {"type": "object", "description": "an entry of `miru review list "
                         "--json` (never an image)"},
            },
        },
        "paths": {
            "/v1/ask": {"post": {
                "summary": "screen images, then answer a question about the allowed ones",
                "security": _secured("ask"), "requestBody": _UPLOAD,
                "responses": {
                    "200": {"description": "a verdict was reached (whatever it is)",
                            "content": {"application/json": {"schema": {
                                "$ref": "#/components/schemas/AskResult"}}}},
                    "422": {"description": "no file could be used as an image (same object)",
                            "content": {"application/json": {"schema": {
                                "$ref": "#/components/schemas/AskResult"}}}},
                    **_UPLOAD_ERRORS}}},
            "/v1/screen": {"post": {
                "summary": "the safety verdict of each image, alone (no model answers)",
                "security": _secured("screen"), "requestBody": _UPLOAD,
                "responses": {
                    "200": {"description": "one result per image, in order",
                            "content": {"application/json": {"schema": {
                                "type": "array",
                                "items": {"$ref": "#/components/schemas/ScreenResult"}}}}},
                    "422": {"description": "no file could be screened (same list)"},
                    **_UPLOAD_ERRORS}}},
            "/v1/receipts": {"post": {
                "summary": "screen each image, then read the allowed ones as receipts",
                "security": _secured("receipts"), "requestBody": _UPLOAD,
                "responses": {
                    "200": {"description": "one entry per image, in order",
                            "content": {"application/json": {"schema": {
                                "type": "array",
                                "items": {"$ref": "#/components/schemas/ReceiptResult"}}}}},
                    "422": {"description": "no file could be screened (same list)"},
                    **_UPLOAD_ERRORS,
                    "403": _err("the key lacks the receipts scope, or the plan has receipts "
                                "off")}}},
            "/v1/cases": {"get": {
                "summary": "the moderators' review queue, oldest first",
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
                        "schema": {"type": "array",
                                   "items": {"$ref": "#/components/schemas/Case"}}}}},
                    "400": _err("a bad status or limit"),
                    "401": _UPLOAD_ERRORS["401"], "403": _UPLOAD_ERRORS["403"],
                    "429": _err("too many requests with a bad key from your address "
                                "(too_many_failures); Retry-After says when to come back"),
                    "503": _UPLOAD_ERRORS["503"]}}},
            "/v1/openapi.json": {"get": {
                "summary": "this document", "security": [],
                "responses": {"200": {"description": "OpenAPI 3.1"}}}},
            "/healthz": {"get": {
                "summary": "200 when Redis answers and a worker was seen in the last minute",
                "security": [],
                "responses": {"200": {"description": "healthy"},
                              "503": {"description": "Redis or workers missing"}}}},
            "/metrics": {"get": {
                "summary": "Prometheus metrics of this process", "security": [],
                "responses": {"200": {"description": "text/plain; version=0.0.4"}}}},
        },
    }
