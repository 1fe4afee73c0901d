"""Make a model's (or OCR's) answer safe to post: no clickable links, no mentions or broadcasts.

Text in an image can say anything, and a model may repeat it. ``neutralise`` keeps the answer
readable while a chat client can no longer turn it into a link or a ping:

- **Links** (found by ``linkify-it-py``, the link finder of markdown-it): the scheme is defanged
  (``https://`` -> ``hxxps://``, ``ftp://`` -> ``fxp://``, any other ``x://`` -> ``x[:]//``) and
  every dot of the host becomes ``[.]``: ``https://evil.example/x`` -> ``hxxps://evil[.]example/x``,
  ``evil.example.com/login`` -> ``evil[.]example[.]com/login``, ``bob@evil.com`` ->
  ``bob@evil[.]com``. The path is left as it is.
- **Bare names** count as links when their last label is a top-level domain: linkify-it's list
  (com, org, net, … and every two-letter country code) plus the generic ones below that phishing
  favours. So ``readme.md`` and ``setup.zip`` become ``readme[.]md`` and ``setup[.]zip`` (chat
  clients may link them), while ``photo.jpg``, ``report.pdf``, ``node.js``, ``3.14``, ``1.2.3``,
  ``e.g.`` and bare IP addresses stay as they are. Full-width look-alikes
  (``ｈｔｔｐｓ：／／``) are left too: no chat client links them. Japanese text around a link
  ends it (``詳細はevil.comへ`` -> ``詳細はevil[.]comへ``).
- **Mentions**: a zero-width space (U+200B, what discord.py's ``escape_mentions`` uses) goes after
  every ``@`` followed by a letter or digit (``@everyone``, ``@here``, ``@channel``, ``@alice``,
  whatever precedes it: ``こんにちは@everyone`` too; in e-mail addresses it is harmless) and after
  every ``<`` that opens platform markup (Slack ``<@U123>``, ``<!channel>``, ``<#C1>``,
  ``<!subteam^S1>``; Discord ``<@123>``, ``<@!123>``, ``<@&role>``, ``<#chan>``, ``</cmd:1>``).
  It is invisible, so the text reads the same.

``neutralise`` is idempotent: running it on its own output changes nothing.
"""

from __future__ import annotations

import re
from functools import lru_cache

ZWSP = "\u200b"
EXTRA_TLDS = (
    "app", "bid", "blog", "buzz", "cfd", "click", "cloud", "club", "dev", "icu", "info", "link",
    "live", "lol", "mobi", "mov", "online", "page", "rest", "sbs", "site", "store", "tech",
    "top", "win", "xyz", "zip",
)
_DEFANGED = {"http": "hxxp", "https": "hxxps", "ftp": "fxp"}
_PREFIX = re.compile(r"^(?:([a-z][a-z0-9+.\-]*):)?(//)?", re.IGNORECASE)
_SCHEME = re.compile(r"\b(?!(?:hxxps?|fxp)://)([a-z][a-z0-9+.\-]*)://", re.IGNORECASE)
# The web schemes wherever they stand: "\b" sees no word start in "_http://" or "0http://" (an
# underscore and a digit are word characters), and Slack reads "_http://x_" as an italic link.
_WEB_SCHEME = re.compile(r"(?:https?|ftp)(?=://)", re.IGNORECASE)
_MENTION = re.compile(r"@(?=\w)")
_MARKUP = re.compile(r"<(?=[@#!&/])")
# Japanese has no spaces: linkify-it sees "詳細はevil.comへ" as one word, chat clients may not.
_CJK = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")


@lru_cache(maxsize=1)
def _linkify():
    from linkify_it import LinkifyIt

    return LinkifyIt().tlds(list(EXTRA_TLDS), True)


def _defang_scheme(scheme: str) -> str:
    fanged = _DEFANGED.get(scheme.lower())
    if fanged is None:
        return scheme
    return "".join(c.upper() if o.isupper() else c for c, o in zip(fanged, scheme, strict=False))


def _defang_link(raw: str) -> str:
    prefix = _PREFIX.match(raw)
    assert prefix is not None  # the pattern matches the empty string
    scheme, slashes = prefix.group(1), prefix.group(2)
    rest = raw[prefix.end():]
    head = ""
    if scheme is not None:
        defanged = _defang_scheme(scheme)
        head = f"{defanged}:{slashes or ''}"
        if slashes and defanged == scheme:
            head = f"{scheme}[:]//"
    elif slashes:
        head = "//"
    end = len(rest)
    for stop in "/?":
        found = rest.find(stop)
        if found != -1:
            end = min(end, found)
    # A "#" ends the host, unless an "@" follows it there: linkify-it reads "//#@evil.a" as a
    # link to evil.a (the "#" as user info), so the dots after that "@" go too.
    fragment = rest.find("#", 0, end)
    if fragment != -1 and "@" not in rest[fragment:end]:
        end = fragment
    return head + rest[:end].replace(".", "[.]") + rest[end:]


def _defang_links(text: str, *, split_cjk: bool = False) -> str:
    finder = _linkify()
    shadow = _CJK.sub(" ", text) if split_cjk else text  # same length: the offsets hold
    if not finder.test(shadow):
        return text
    out, last = [], 0
    for match in finder.match(shadow) or []:
        out.append(text[last:match.index])
        out.append(_defang_link(text[match.index:match.last_index]))
        last = match.last_index
    out.append(text[last:])
    return "".join(out)


def _scheme(match: re.Match[str]) -> str:
    scheme = match.group(1)
    if scheme.lower() in _DEFANGED:
        return f"{_defang_scheme(scheme)}://"
    return f"{scheme}[:]//"


def neutralise(text: str) -> str:
    """``text`` with links defanged and mentions broken (see the module's docstring)."""
    for _ in range(4):  # a defanged scheme can expose a bare host behind it; settle in few rounds
        before = text
        text = _defang_links(_defang_links(text), split_cjk=True)
        text = _SCHEME.sub(_scheme, text)
        text = _WEB_SCHEME.sub(lambda m: _defang_scheme(m.group(0)), text)
        if text == before:
            break
    text = _MENTION.sub("@" + ZWSP, text)
    return _MARKUP.sub("<" + ZWSP, text)
