"""One logging set-up for the process: stdlib ``logging`` and structlog through one handler.

Most of the core logs through ``logging.getLogger``; the adapters and the decoder pool log through
``structlog.get_logger``. ``configure_logging`` routes both into one stderr handler whose
``structlog.stdlib.ProcessorFormatter`` renders every record the same way: one JSON object per line
(``level``, ``event``, ``logger``, ``timestamp`` and the event's fields) when stderr is not a
terminal (containers, CI, log shippers), a readable console line when it is. Values of fields named
like a credential (``token``, ``secret``, ``authorization``, ``password``, ``api_key``, ``cookie``)
are replaced by ``[redacted]`` on both paths, nested dictionaries included.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any, TextIO

import structlog

from config.settings import Settings, SettingsError

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
REDACTED = "[redacted]"
# Libraries that log every HTTP request at INFO; they speak only from WARNING up unless DEBUG.
QUIET_LOGGERS = ("httpx", "httpcore", "urllib3")

_SECRET_KEY = re.compile(
    r"(?:^|[_\-.])(?:token|secret|authorization|password|passwd|api[_\-]?key|cookie)$", re.I
)


def redact_secrets(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]
                   ) -> MutableMapping[str, Any]:
    """structlog processor: blank the value of every field whose name looks like a credential."""
    return _redacted(event_dict)


def _redacted(d: Mapping[Any, Any]) -> dict[Any, Any]:
    out: dict[Any, Any] = {}
    for key, value in d.items():
        if isinstance(key, str) and key != "event" and _SECRET_KEY.search(key):
            out[key] = REDACTED
        elif isinstance(value, Mapping):
            out[key] = _redacted(value)
        else:
            out[key] = value
    return out


def parse_level(level: str | int) -> int:
    """A level name (any case) or number as a ``logging`` level; a bad one is a SettingsError."""
    if isinstance(level, int) and not isinstance(level, bool):
        return level
    name = str(level).strip().upper()
    if name not in LEVELS:
        raise SettingsError(f"invalid settings: MIRU_LOG_LEVEL: {level!r} is not one of "
                            + ", ".join(LEVELS))
    return logging.getLevelNamesMapping()[name]


def configure_logging(settings_or_level: Settings | str | int = "INFO", *,
                      json: bool | None = None, stream: TextIO | None = None) -> None:
    """Configure stdlib logging and structlog once for the process; safe to call again.

    The level comes from ``settings.log_level`` (``MIRU_LOG_LEVEL``) or is given directly.
    ``json=None`` chooses JSON lines unless ``stream`` (stderr by default) is a terminal.
    """
    raw = (settings_or_level.log_level if isinstance(settings_or_level, Settings)
           else settings_or_level)
    level = parse_level(raw)
    out = stream if stream is not None else sys.stderr
    if json is None:
        json = not _isatty(out)

    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    render_chain: list[Any] = (
        [structlog.processors.format_exc_info,
         structlog.processors.JSONRenderer(ensure_ascii=False)] if json
        else [structlog.dev.ConsoleRenderer(colors=_isatty(out))])
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder()],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    redact_secrets, *render_chain],
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter)
    handler._miru = True  # type: ignore[attr-defined]  # so a second call replaces it

    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_miru", False)]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))

    structlog.configure(
        processors=[structlog.stdlib.filter_by_level, *shared,
                    structlog.stdlib.PositionalArgumentsFormatter(),
                    structlog.processors.StackInfoRenderer(),
                    structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


__all__ = ["LEVELS", "REDACTED", "configure_logging", "parse_level", "redact_secrets"]
