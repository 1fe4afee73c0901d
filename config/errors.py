"""The configuration error the ``config`` package raises (it imports nothing of the project's).

``bot.errors.ConfigError`` (the core's error tree, with its user-facing message) derives from
this class, so ``except config.errors.ConfigError`` catches every configuration problem: a bad
setting, a bad policy file, a bad key file.
"""

from __future__ import annotations


class ConfigError(Exception):
    """A setting, a file or a value is wrong; the message names the variable, key or file."""
