"""The ``miru`` command's exit statuses, defined once; every command imports them from here.

0 when a verdict was reached (whatever it is), 1 for other failures (a bad audit chain, a problem
``miru doctor`` found, an internal error), 2 for a usage or configuration error, 65 when no input
could be used as an image (``EX_DATAERR`` of sysexits.h), 130 after Ctrl-C, 141 when the reader
of stdout went away (``miru audit export | head``: 128 + SIGPIPE, as a shell reports a command
that SIGPIPE ended; quietly, no traceback).
"""

from __future__ import annotations

EX_OK = 0
EX_FAIL = 1
EX_USAGE = 2
EX_DATAERR = 65
EX_INTERRUPTED = 130
EX_PIPE = 141

__all__ = ["EX_DATAERR", "EX_FAIL", "EX_INTERRUPTED", "EX_OK", "EX_PIPE", "EX_USAGE"]
