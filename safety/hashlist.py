"""Gate 1: operator hash lists (SHA-256 of the original bytes, PDQ of the pixels).

PDQ is matched against all 8 rotations/flips of every frame (``pdqhash.compute_dihedral``), so a
rotated or mirrored copy of a listed image still matches within ``max_distance`` bits. The
decoder computes those hashes once (``dihedral_hex``, in its process) and they are kept with a
stored image, so ``match`` can check it again against lists that grew after it was stored,
without its pixels. ``fingerprint`` names the lists' content: a worker that finds it changed
matches stored images and open cases again (``bot.review.rescan``).

PDQ hex follows ThreatExchange's convention: the 256 bits, bit 0 least significant, as 64 lower-case
hex digits (``pdq_hex``). List files use the same form.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping, Sequence
from importlib.metadata import version

import numpy as np
import pdqhash

from safety.types import DecodedImage, Finding, GateResult

GATE = "hash"


def pdq_hex(bits: np.ndarray) -> str:
    """256 PDQ bits (as ``pdqhash.compute`` returns them) -> 64 hex digits.

    pdqhash returns the bits most significant first (its binding reverses the reference order),
    so reading them in order gives ThreatExchange's hex form, the one operators' lists use."""
    value = int("".join("1" if b else "0" for b in bits), 2)
    return f"{value:064x}"


def pdq_bits(hexstr: str) -> np.ndarray:
    """64 hex digits -> 256 PDQ bits (uint8), inverse of ``pdq_hex``."""
    value = int(hexstr, 16)
    return np.array([(value >> (255 - i)) & 1 for i in range(256)], dtype=np.uint8)


def dihedral_hex(frames: Sequence[np.ndarray]) -> tuple[str, ...]:
    """The PDQ hashes (hex) of the 8 rotations/flips of every frame, the first frame's upright
    hash first."""
    out: list[str] = []
    for frame in frames:
        hashes, _quality = pdqhash.compute_dihedral(np.ascontiguousarray(frame))
        out += [pdq_hex(h) for h in hashes]
    return tuple(out)


def _packed(hexes: Sequence[str]) -> np.ndarray:
    if not hexes:
        return np.zeros((0, 32), dtype=np.uint8)
    return np.packbits(np.stack([pdq_bits(h) for h in hexes]), axis=1)


class HashGate:
    """Matches an image against operator-provided SHA-256 and PDQ lists."""

    name = GATE

    def __init__(
        self, sha256: Mapping[str, str], pdq: Mapping[str, str], *, max_distance: int = 31
    ) -> None:
        """``sha256`` and ``pdq`` map a lower-case hex hash to the name of its list."""
        self._sha256 = {k.lower(): v for k, v in sha256.items()}
        self._pdq_names = list(pdq.values())
        self._pdq = _packed(list(pdq))
        self._max_distance = max_distance
        self.version = f"pdqhash-{version('pdqhash')}"
        digest = hashlib.sha256(f"pdq<={max_distance}\n".encode())
        for kind, entries in (("sha256", self._sha256), ("pdq", {k.lower(): v
                                                               for k, v in pdq.items()})):
            for value, name in sorted(entries.items()):
                digest.update(f"{kind} {value} {name}\n".encode())
        self.fingerprint = digest.hexdigest()

    @property
    def empty(self) -> bool:
        return not self._sha256 and not len(self._pdq)

    def run(self, image: DecodedImage) -> GateResult:
        """Findings ``hash_match`` (label: the list's name; score: PDQ distance, 0 for SHA-256)."""
        start = time.perf_counter()
        variants: Sequence[str] = ()
        if len(self._pdq):
            variants = image.pdq_variants or dihedral_hex(image.frames)
        findings, scores = self._match(image.original_sha256, variants, image.index)
        return GateResult(GATE, findings, scores, self.version,
                          (time.perf_counter() - start) * 1000)

    def match(self, sha256: str, pdq: Sequence[str], index: int) -> tuple[Finding, ...]:
        """``hash_match`` findings for an image known only by its hashes (a stored one): the
        SHA-256 of its original bytes and the PDQ hashes ``dihedral_hex`` gave for it."""
        return self._match(sha256, pdq, index)[0]

    def _match(self, sha256: str, pdq: Sequence[str], index: int
               ) -> tuple[tuple[Finding, ...], dict[str, float]]:
        findings: list[Finding] = []
        scores: dict[str, float] = {}
        listed = self._sha256.get(sha256.lower())
        if listed is not None:
            findings.append(Finding("hash_match", GATE, 0.0, f"sha256:{listed}",
                                    image_index=index))
        if len(self._pdq) and pdq:
            best, name = self._nearest(pdq)
            scores[f"pdq_distance:{index}"] = float(best)
            if best <= self._max_distance:
                findings.append(Finding("hash_match", GATE, float(best), f"pdq:{name}",
                                        image_index=index))
        return tuple(findings), scores

    def _nearest(self, pdq: Sequence[str]) -> tuple[int, str]:
        best, best_row = 257, 0
        for row in _packed(pdq):
            distances = np.bitwise_count(self._pdq ^ row).sum(axis=1)
            i = int(distances.argmin())
            if distances[i] < best:
                best, best_row = int(distances[i]), i
        return best, self._pdq_names[best_row]
