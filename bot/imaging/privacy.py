"""The privacy "clean" operation: an image re-encoded without metadata, optionally with faces
pixelated, for ``miru clean`` and for chat requests such as "remove the location" or "顔にモザイク".
"""

from __future__ import annotations

import io
import re
import unicodedata
import warnings
from collections.abc import Sequence

from PIL import Image, UnidentifiedImageError

from bot.errors import CorruptImage, EmptyInput, UnsupportedFormat
from bot.imaging.imageops import encode_clean, exif_transpose, pixelate
from safety.types import Box

_NAME = "image"


def clean_image(data: bytes, *, blur_faces: bool, faces: Sequence[Box] = ()) -> bytes:
    """``data`` re-encoded with no EXIF/GPS/XMP/IPTC/ICC and nothing appended, turned upright by
    its EXIF orientation first (the tag goes with the rest). With ``blur_faces`` each box in
    ``faces`` (fractions of the upright image) is pixelated. JPEG stays JPEG; anything else
    becomes PNG (transparency kept). Raises ``EmptyInput``, ``UnsupportedFormat`` or
    ``CorruptImage`` for bytes that are not a usable image."""
    if not data:
        raise EmptyInput("no bytes", name=_NAME)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            source_format = img.format or ""
            img.load()
    except UnidentifiedImageError as err:
        raise UnsupportedFormat("not an image Pillow can identify", name=_NAME) from err
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError,
            Image.DecompressionBombWarning) as err:
        raise CorruptImage(f"could not decode: {err}", name=_NAME) from err
    upright = exif_transpose(img)
    if blur_faces and faces:
        upright = pixelate(upright, faces)
    fmt = "JPEG" if source_format in ("JPEG", "MPO") else "PNG"
    return encode_clean(upright, fmt)


_BLUR_VERB_EN = r"(blur|pixel(ate|ise|ize)|mosaic|obscure|censor|anonymi[sz]e)\w*"
_BLUR_EN = re.compile(
    rf"\b{_BLUR_VERB_EN}\b[^.?!]*\bfaces?\b|\bfaces?\b[^.?!]*\b{_BLUR_VERB_EN}"
    r"|\bhide (the |their |all |everyone'?s? |people'?s? )*faces?\b"
)
_CLEAN_EN = re.compile(
    r"\b(remove|strip|delete|erase|scrub|clear|wipe|drop|get rid of)\b[^.?!]*"
    r"\b(location|gps|geo ?tags?|metadata|meta data|exif|camera (info|details|data))\b"
    r"|\bclean (up )?(the |this |my )?(image|photo|picture|pic|file)\b"
)
# A question about the image ("is anyone hiding their face?") or a refusal ("don't blur"):
# not a request for an operation. Polite requests ("can you blur the faces?") still count.
_NOT_A_REQUEST_EN = re.compile(
    r"^\s*(is|are|does|do|did|what|where|who|whose|why|how|which|was|were|has|have)\b"
    r"|\b(don'?t|do not|never|no need to|without)\s+(\w+\s+){0,2}?"
    r"(blur|pixel|mosaic|remove|strip|delete|erase|hide|clean)"
)
# Japanese verb forms end in a lookahead so that "隠している人" (someone hiding) is no request.
_BLUR_JA = re.compile(
    r"顔[^。？！]*(モザイク|ぼかし(?!て[いる])|ぼかして(?![いる])|ぼかす|ボカ[シし](?!て[いる])|"
    r"隠して(?![いる])|隠す|伏せて|塗りつぶ)"
    r"|(モザイク|ぼかし|ボカシ)[^。？！]*顔|モザイク(を)?(かけ|掛け|入れ)"
)
_CLEAN_JA = re.compile(
    r"(位置情報|gps|メタデータ|exif|撮影場所|撮影情報|カメラ情報)[^。？！]*"
    r"(消して|消す|消去|削除|取って|取り除|除去|外して|抜いて|なくして)"
)


def wants_privacy_op(text: str) -> str | None:
    """"blur_faces", "clean" or None for a user's request in Japanese or English.

    "blur the faces" / "顔にモザイク" ask for ``blur_faces`` (which also strips metadata);
    "remove the location", "strip metadata" / "位置情報を消して" ask for ``clean``. Questions about
    an image ("where was this taken?", "顔は何人？") and negated requests ("don't blur faces")
    are not operations."""
    norm = unicodedata.normalize("NFKC", text).lower()
    if _NOT_A_REQUEST_EN.search(norm):
        return None
    if _BLUR_EN.search(norm) or _BLUR_JA.search(norm):
        return "blur_faces"
    if _CLEAN_EN.search(norm) or _CLEAN_JA.search(norm):
        return "clean"
    return None
