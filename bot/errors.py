"""One error tree. Each error carries a ``code`` (stable, for JSON and audit) and a ``message_key``
into ``bot.strings`` for the sentence a user reads. Handlers catch ``MiruError``, log it, and answer
with ``strings.t(err.message_key, lang, **err.params)``; anything else is a bug and gets the generic
apology."""

from __future__ import annotations

from typing import Any

from bot import strings
from config.errors import ConfigError as ConfigProblem


class MiruError(Exception):
    code = "error"
    message_key = "error.generic"
    retryable = False  # True: running the same job again later may succeed (a worker retries)

    def __init__(self, detail: str = "", **params: Any) -> None:
        super().__init__(detail or self.code)
        self.detail = detail
        self.params = params

    def user_message(self, lang: str | None, **extra: Any) -> str:
        """The sentence a user reads, in ``lang``. Only plain values from ``params`` are formatted
        in (never bytes or objects); ``extra`` (e.g. the file's name as the user knows it) wins."""
        plain = {k: v for k, v in self.params.items() if isinstance(v, str | int | float)}
        return strings.t(self.message_key, lang, **{**plain, **extra})


class ConfigError(MiruError, ConfigProblem):
    """Also a ``config.errors.ConfigError``: one except clause catches every configuration
    problem, the ``config`` package's own included."""

    code = "config"
    message_key = "error.config"


class InputRejected(MiruError):
    """The bytes cannot be used as an image (exit 65 on the command line)."""

    code = "rejected"
    message_key = "reject.generic"


class UnsupportedFormat(InputRejected):
    code = "unsupported_format"
    message_key = "reject.format"


class EmptyInput(InputRejected):
    code = "empty"
    message_key = "reject.empty"


class TooLarge(InputRejected):
    code = "too_large"
    message_key = "reject.too_large"


class TooManyPixels(InputRejected):
    code = "too_many_pixels"
    message_key = "reject.too_many_pixels"


class TooManyFiles(InputRejected):
    """More files in one message than ``max_files``; the first ones are used."""

    code = "too_many_files"
    message_key = "reject.too_many_files"


class TooManyTotalPixels(TooManyPixels):
    """An animation whose frames, decoded together, exceed ``max_total_pixels`` (checked from
    the headers before decoding)."""

    code = "too_many_total_pixels"
    message_key = "reject.too_many_total_pixels"


class CorruptImage(InputRejected):
    code = "corrupt"
    message_key = "reject.corrupt"


class DecodeLimit(InputRejected):
    """Decoding ran past its time or memory limit (the decoder process was restarted)."""

    code = "decode_limit"
    message_key = "reject.decode_limit"


class FetchError(MiruError):
    code = "fetch_failed"
    message_key = "fetch.failed"


class FetchForbidden(FetchError):
    """A URL outside the platform's own file hosts."""

    code = "fetch_forbidden"
    message_key = "fetch.forbidden"


class MissingScope(FetchError):
    code = "missing_scope"
    message_key = "fetch.missing_scope"


class EngineError(MiruError):
    code = "engine"
    message_key = "engine.failed"


class EngineUnavailable(EngineError):
    code = "engine_unavailable"
    message_key = "engine.unavailable"


class EngineBusy(EngineError):
    """The model server kept refusing (429/5xx) or did not answer in time."""

    code = "engine_busy"
    message_key = "engine.busy"


class EngineEmpty(EngineError):
    """The model answered with nothing usable (empty text or a malformed response)."""

    code = "engine_empty"
    message_key = "engine.empty"


class EngineInterrupted(EngineError):
    """The answer stopped part-way (the stream broke, or the server sent an error after text
    had arrived). ``partial`` is what arrived; the pipeline keeps it and says it was cut short."""

    code = "engine_interrupted"
    message_key = "engine.cut_short"

    def __init__(self, detail: str = "", *, partial: str = "", **params: Any) -> None:
        super().__init__(detail, **params)
        self.partial = partial


class StoreUnavailable(MiruError):
    code = "store_unavailable"
    message_key = "store.unavailable"
    retryable = True


class DeliveryFailed(MiruError):
    """The platform did not take a reply. ``retryable`` per instance: a rate limit, a timeout or
    a 5xx may pass on a later try; ``msg_too_long``, ``channel_not_found``, a missing permission
    will not. Adapters raise it from ``Conversation.reply``; the pipeline decides what follows."""

    code = "delivery_failed"
    message_key = "error.delivery"

    def __init__(self, detail: str = "", *, retryable: bool = False, **params: Any) -> None:
        super().__init__(detail, **params)
        self.retryable = retryable


class ListenError(MiruError):
    """An HTTP listener could not bind its address (the port is in use, not allowed, ...)."""

    code = "listen_failed"
    message_key = "error.listen"


class AuditError(MiruError):
    code = "audit"
    message_key = "error.generic"


class CodecError(MiruError):
    """Stored or queued JSON could not be read back into its typed value."""

    code = "codec"
    message_key = "error.generic"


class QuarantineError(MiruError):
    """Quarantined evidence is missing, unreadable, or was encrypted with another key."""

    code = "quarantine"
    message_key = "error.generic"


class EvidenceNotKept(MiruError):
    """A verdict that preserves (``hold``, ``block_and_preserve``) whose evidence could be kept
    nowhere (no shared quarantine, no local folder): a screening path then gives no verdict at
    all (fail closed), so nothing is learnt from a file that was not kept."""

    code = "not_preserved"
    message_key = "operator.not_preserved"
    retryable = True
