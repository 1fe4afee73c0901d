"""JSON (de)serialisation of the typed values that go through Redis and the audit log.

pydantic's ``TypeAdapter`` does the work for the standard-library dataclasses in ``bot.models``
(tuples, enums and nested dataclasses come back as their real types), so no hand-written
field-by-field code. Reading bad JSON raises ``CodecError``, never a pydantic traceback.
An ``Image`` is split into its metadata (JSON) and its bytes, which are stored raw.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError

from bot.errors import CodecError
from bot.models import AuditRecord, Image, IncomingMessage, Turn
from safety.types import Verdict

T = TypeVar("T")

_MESSAGE = TypeAdapter(IncomingMessage)
_TURN = TypeAdapter(Turn)
_VERDICT = TypeAdapter(Verdict)
_AUDIT = TypeAdapter(AuditRecord)
_IMAGE = TypeAdapter(Image)
_META = TypeAdapter(dict[str, Any])


def _dump(adapter: TypeAdapter[Any], value: object) -> bytes:
    try:
        return adapter.dump_json(value)
    except Exception as exc:  # pydantic raises PydanticSerializationError, ValueError, ...
        raise CodecError(f"cannot encode {type(value).__name__}: {exc}") from exc


def _load(adapter: TypeAdapter[T], data: bytes | str, what: str) -> T:
    try:
        return adapter.validate_json(data)
    except ValidationError as exc:
        raise CodecError(f"bad {what} JSON: {exc.error_count()} error(s): "
                         f"{exc.errors()[0]['loc']} {exc.errors()[0]['msg']}") from None


def dump_message(message: IncomingMessage) -> bytes:
    return _dump(_MESSAGE, message)


def load_message(data: bytes | str) -> IncomingMessage:
    return _load(_MESSAGE, data, "message")


def dump_turn(turn: Turn) -> bytes:
    return _dump(_TURN, turn)


def load_turn(data: bytes | str) -> Turn:
    return _load(_TURN, data, "turn")


def dump_verdict(verdict: Verdict) -> bytes:
    return _dump(_VERDICT, verdict)


def load_verdict(data: bytes | str) -> Verdict:
    return _load(_VERDICT, data, "verdict")


def audit_to_dict(record: AuditRecord) -> dict[str, Any]:
    """The record as plain JSON types (lists, dicts, str, numbers), ready for canonical JSON."""
    try:
        return _AUDIT.dump_python(record, mode="json")
    except Exception as exc:
        raise CodecError(f"cannot encode audit record: {exc}") from exc


def dump_audit(record: AuditRecord) -> bytes:
    return _dump(_AUDIT, record)


def load_audit(data: bytes | str) -> AuditRecord:
    """Read a record back; extra keys (``prev``, ``hash`` of a log line) are ignored."""
    return _load(_AUDIT, data, "audit record")


def dump_image_meta(image: Image) -> bytes:
    """Everything about an image except its bytes."""
    meta = {f.name: getattr(image, f.name) for f in dataclasses.fields(image) if f.name != "data"}
    return _dump(_META, meta)


def load_image(meta: bytes | str, data: bytes) -> Image:
    """Rebuild an ``Image`` from ``dump_image_meta`` output and the raw bytes."""
    try:
        fields = _META.validate_json(meta)
    except ValidationError:
        raise CodecError("bad image metadata JSON") from None
    fields["data"] = data
    try:
        return _IMAGE.validate_python(fields)
    except ValidationError as exc:
        raise CodecError(f"bad image metadata: {exc.errors()[0]['loc']} "
                         f"{exc.errors()[0]['msg']}") from None
