"""The texts a request's minor cues are read from, read once per request and off the loop.

``cues_of`` runs ``safety.context.cue_findings`` (the message, the thread's recent turns, the
images' text, each finding with its source) in a worker thread: a 40,000-character follow-up
used with 100 stored images once held a worker's event loop for 17 s, the cue matcher running
again for every stored image. ``read_texts`` reads each fresh image's text once, from its
screening frame, in worker threads; the answer's OCR block reuses what it read.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from safety.context import cue_findings, text_parts
from safety.cues import CueList
from safety.types import DecodedImage, Finding

log = logging.getLogger(__name__)

OCR_TIMEOUT_S = 30.0  # reading one image's text before the decision


async def cues_of(cues: CueList, message: str, turns: Sequence[str] = (),
                  image_texts: Sequence[str] = ()) -> tuple[Finding, ...]:
    """The minor cues of these texts, each with its source; off the event loop."""
    parts = text_parts(message, turns, image_texts)
    if not parts:
        return ()
    return await asyncio.to_thread(cue_findings, parts, cues)


async def read_texts(read: Callable[[DecodedImage], str] | None,
                     images: Sequence[DecodedImage], into: dict[int, str]) -> list[str]:
    """Each image's text (``read``: ``Services.ocr_frame``), in worker threads, kept in
    ``into`` by image index for the answer. A failed or slow read is no text: it adds no
    cue and the answer reads the image again."""
    if read is None:
        return []

    async def one(image: DecodedImage) -> None:
        try:
            text = await asyncio.wait_for(asyncio.to_thread(read, image), OCR_TIMEOUT_S)
        except Exception as exc:  # no text is the outcome of any failure
            log.warning("image text not read for image %d: %s", image.index, type(exc).__name__)
            return
        into[image.index] = text

    await asyncio.gather(*(one(d) for d in images if d.frames))
    return [into[d.index] for d in images if d.index in into]
