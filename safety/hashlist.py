"""Gate 1: operator hash lists (SHA-256 of the original bytes, PDQ of the pixels).

PDQ is matched against all 8 rotations/flips of every frame (``pdqhash.compute_dihedral``), so a
rotated or mirrored copy of a listed image still matches within ``max_distance`` bits.

PDQ hex follows ThreatExchange's convention: the 256 bits, bit 0 least significant, as 64 lower-case
hex digits (``pdq_hex``). List files use the same form.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
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


class HashGate:
    """Matches an image against operator-provided SHA-256 and PDQ lists."""

    name = GATE

    def __init__(
        self, sha256: Mapping[str, str], pdq: Mapping[str, str], *, max_distance: int = 31
    ) -> None:
        """``sha256`` and ``pdq`` map a lower-case hex hash to the name of its list."""
        self._sha256 = {k.lower(): v for k, v in sha256.items()}
        self._pdq_names = list(pdq.values())
        self._pdq = (
            np.packbits(np.stack([pdq_bits(h) for h in pdq]), axis=1)
            if pdq
            else np.zeros((0, 32), dtype=np.uint8)
        )
        self._max_distance = max_distance
        self.version = f"pdqhash-{version('pdqhash')}"

    def run(self, image: DecodedImage) -> GateResult:
        """Findings ``hash_match`` (label: the list's name; score: PDQ distance, 0 for SHA-256)."""
        start = time.perf_counter()
        findings: list[Finding] = []
        scores: dict[str, float] = {}
        listed = self._sha256.get(image.original_sha256.lower())
        if listed is not None:
            findings.append(Finding("hash_match", GATE, 0.0, f"sha256:{listed}",
                                    image_index=image.index))
        if len(self._pdq):
            best, name = self._nearest(image)
            scores[f"pdq_distance:{image.index}"] = float(best)
            if best <= self._max_distance:
                findings.append(Finding("hash_match", GATE, float(best), f"pdq:{name}",
                                        image_index=image.index))
        return GateResult(GATE, tuple(findings), scores, self.version,
                          (time.perf_counter() - start) * 1000)

    def _nearest(self, image: DecodedImage) -> tuple[int, str]:
        best, best_row = 257, 0
        for frame in image.frames:
            hashes, _quality = pdqhash.compute_dihedral(np.ascontiguousarray(frame))
            packed = np.packbits(np.stack(hashes).astype(np.uint8), axis=1)
            for row in packed:
                distances = np.bitwise_count(self._pdq ^ row).sum(axis=1)
                i = int(distances.argmin())
                if distances[i] < best:
                    best, best_row = int(distances[i]), i
        return best, self._pdq_names[best_row]
