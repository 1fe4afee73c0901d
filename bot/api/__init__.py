"""The integration API (issue 12): ``miru serve-api``, API keys, outgoing webhooks.

``contract`` holds the JSON objects Miru answers with, the same on the command line (``--json``)
and over HTTP; ``server`` the aiohttp routes; ``apikeys`` the hashed keys in Redis; ``upload``
the bounded multipart reader; ``conversation`` the ``Conversation`` that serves uploaded bytes;
``signing`` and ``webhooks`` the signed, retried deliveries of ``bot.evidence.events``.
"""
