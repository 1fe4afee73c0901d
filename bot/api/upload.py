"""The one multipart reader of the API, bounded everywhere: the declared length is checked before
a byte is read, every byte is counted as it streams (chunked bodies declare nothing; the preamble,
the parts' headers and the epilogue count as much as the files: ``bot.api.bodycount``), the number
of ``image`` fields is capped as they arrive, and a file over the per-file limit is counted, not
kept, so that it gets the same "too large" rejection as ``miru ask`` gives."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, cast

from aiohttp import BodyPartReader, MultipartReader, StreamReader, web
from aiohttp.http_exceptions import HttpProcessingError

from bot.api.bodycount import CountingStream
from bot.api.errors import ApiError

FIELDS = ("image", "question", "lang", "consent")
MAX_FIELD_BYTES = 16 * 1024  # a question, a language, a flag
_CHUNK = 64 * 1024
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class UploadedFile:
    name: str
    data: bytes  # empty when ``size`` is over the per-file limit (it was counted, not kept)
    size: int
    mimetype: str = ""


@dataclass(frozen=True)
class Upload:
    files: tuple[UploadedFile, ...]
    question: str = ""
    lang: str | None = None
    consent: bool = False
    digest: str = ""  # SHA-256 over every part's name, file name and bytes, in order


@dataclass(frozen=True)
class Limits:
    max_body: int  # bytes in the whole request
    max_images: int  # ``image`` fields
    max_file_bytes: int  # one file kept in memory at most this large


def check_declared(request: web.Request, limits: Limits) -> None:
    """415 unless multipart/form-data; 413 when the declared length is over the limit. Called
    before anything is read, so a 100 MB body is refused from its headers."""
    if request.content_type != "multipart/form-data":
        raise ApiError(415, "unsupported_media_type", "api.unsupported_type",
                       type=request.content_type or "none")
    declared = request.content_length
    if declared is not None and declared > limits.max_body:
        raise ApiError(413, "body_too_large", "api.too_large", size=declared,
                       limit=limits.max_body)


async def read_upload(request: web.Request, limits: Limits) -> Upload:
    """The form's files and fields, or an ``ApiError`` (400, 413, 415) saying what is wrong."""
    check_declared(request, limits)
    try:
        return await _read(request, limits)
    except ApiError:
        raise
    except (ValueError, AssertionError, RuntimeError, LookupError, HttpProcessingError) as exc:
        raise ApiError(400, "bad_form", "api.bad_form",
                       detail=f"{type(exc).__name__}: {str(exc)[:120]}") from None


async def _read(request: web.Request, limits: Limits) -> Upload:
    # every byte of the body counts: the preamble, the parts' headers and the epilogue too
    counted = CountingStream(request.content, limits.max_body)
    reader = MultipartReader(request.headers, cast(StreamReader, counted))
    files: list[UploadedFile] = []
    values: dict[str, str] = {}
    form = hashlib.sha256()  # the form's content, whatever its boundary (Idempotency-Key)
    while True:
        part: Any = await reader.next()
        if part is None:
            break
        if not isinstance(part, BodyPartReader):
            raise ApiError(400, "bad_form", "api.bad_form", detail="nested multipart")
        name = part.name or ""
        if name not in FIELDS:
            raise ApiError(400, "unknown_field", "api.unknown_field", field=name[:40] or "''",
                           known=", ".join(FIELDS))
        if name == "image":
            if len(files) >= limits.max_images:
                raise ApiError(413, "too_many_images", "api.too_many_images",
                               count=f"{limits.max_images + 1}+", limit=limits.max_images)
            data, size = await _drain(part, limits.max_file_bytes, form)
            files.append(UploadedFile(part.filename or f"image{len(files) + 1}", data, size,
                                      part.headers.get("Content-Type", "")))
            continue
        raw, size = await _drain(part, MAX_FIELD_BYTES, form)
        if size > MAX_FIELD_BYTES or name in values:
            raise ApiError(400, "field_too_long" if size > MAX_FIELD_BYTES else "bad_form",
                           "api.field_too_long" if size > MAX_FIELD_BYTES else "api.bad_form",
                           field=name, limit=MAX_FIELD_BYTES, detail=f"{name} given twice")
        try:
            values[name] = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ApiError(400, "bad_value", "api.bad_value", field=name,
                           expected="UTF-8 text") from None
    while await counted.readany():  # the epilogue counts too (and is read, not left behind)
        pass
    return Upload(tuple(files), values.get("question", ""), _lang(values.get("lang")),
                  _flag(values.get("consent")), form.hexdigest())


async def _drain(part: BodyPartReader, keep: int, form: Any) -> tuple[bytes, int]:
    """Read one part: (bytes kept, or b"" when over ``keep``; its size), adding its name, file
    name and content to the ``form`` hash. The body's limit is the ``CountingStream``'s: it
    raises 413 at the first byte past it."""
    chunks: list[bytes] = []
    size = 0
    content = hashlib.sha256()
    while True:
        chunk = await part.read_chunk(_CHUNK)
        if not chunk:
            break
        content.update(chunk)
        size += len(chunk)
        if size <= keep:
            chunks.append(chunk)
        else:
            chunks.clear()
    label = f"{part.name or ''}\0{part.filename or ''}\0{size}\0".encode()
    form.update(hashlib.sha256(label).digest() + content.digest())
    return (b"".join(chunks) if size <= keep else b""), size


def _lang(value: str | None) -> str | None:
    if value is None or value.strip() == "":
        return None
    if value.strip() not in ("ja", "en"):
        raise ApiError(400, "bad_value", "api.bad_value", field="lang", expected="ja or en")
    return value.strip()


def _flag(value: str | None) -> bool:
    v = (value or "").strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise ApiError(400, "bad_value", "api.bad_value", field="consent", expected="true or false")
