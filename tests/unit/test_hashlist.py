"""Gate 1: SHA-256 and PDQ hash lists, with the real pdqhash on scikit-image's sample photos."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pdqhash
import pytest
from hypothesis import given
from hypothesis import strategies as st
from skimage import data

from config.policy import load_policy
from safety.hashlist import HashGate, pdq_bits, pdq_hex
from safety.types import DecodedImage


def decoded(frame: np.ndarray, *, index: int = 0, raw: bytes | None = None) -> DecodedImage:
    frame = np.ascontiguousarray(frame)
    sha = hashlib.sha256(raw if raw is not None else frame.tobytes()).hexdigest()
    return DecodedImage(index, "png", frame.shape[1], frame.shape[0], sha, (frame,), 1)


def pdq_of(frame: np.ndarray) -> str:
    bits, _quality = pdqhash.compute(np.ascontiguousarray(frame))
    return pdq_hex(bits)


@pytest.fixture(scope="module")
def coffee() -> np.ndarray:
    return data.coffee()


@given(st.lists(st.booleans(), min_size=256, max_size=256))
def test_pdq_hex_round_trips(bits):
    array = np.array(bits, dtype=np.uint8)
    text = pdq_hex(array)
    assert len(text) == 64
    assert np.array_equal(pdq_bits(text), array)


def test_pdq_hex_reads_pdqhash_bits_most_significant_first():
    """pdqhash's binding returns reference bit 255 at index 0 (it reverses the C++ order), and
    ThreatExchange's hex prints bit 255 first: so index 0 is the hex's top bit."""
    bits = np.zeros(256, dtype=np.uint8)
    bits[0] = 1
    assert pdq_hex(bits) == "8" + "0" * 63
    bits[:] = 0
    bits[255] = 1
    assert pdq_hex(bits) == "0" * 63 + "1"
    assert np.array_equal(pdq_bits(pdq_hex(bits)), bits)


def test_sha256_match(coffee):
    image = decoded(coffee, raw=b"original file bytes", index=2)
    gate = HashGate({hashlib.sha256(b"original file bytes").hexdigest().upper(): "known"}, {})
    result = gate.run(image)
    assert [(f.code, f.label, f.image_index) for f in result.findings] == [
        ("hash_match", "sha256:known", 2)]


@pytest.mark.parametrize("transform", [
    np.rot90, lambda a: np.rot90(a, 2), lambda a: np.rot90(a, 3), np.fliplr, np.flipud,
    lambda a: np.rot90(np.fliplr(a)),
], ids=["rot90", "rot180", "rot270", "mirror", "flip", "transpose"])
def test_pdq_matches_rotated_and_flipped_copies(coffee, transform):
    gate = HashGate({}, {pdq_of(coffee): "known-pdq"})
    result = gate.run(decoded(transform(coffee)))
    matches = [f for f in result.findings if f.code == "hash_match"]
    assert [f.label for f in matches] == ["pdq:known-pdq"]
    assert matches[0].score is not None and matches[0].score <= 31
    assert result.scores["pdq_distance:0"] == matches[0].score


def test_pdq_matches_a_resized_recompressed_copy(coffee):
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.fromarray(coffee).resize((300, 200)).save(buffer, "JPEG", quality=60)
    copy = np.asarray(Image.open(BytesIO(buffer.getvalue())).convert("RGB"))
    result = HashGate({}, {pdq_of(coffee): "known"}).run(decoded(copy))
    assert any(f.code == "hash_match" for f in result.findings)


def test_different_photo_does_not_match(coffee):
    gate = HashGate({"0" * 64: "other"}, {pdq_of(coffee): "known"})
    result = gate.run(decoded(data.chelsea()))
    assert result.findings == ()
    assert result.scores["pdq_distance:0"] > 31


def test_distance_limit_is_configurable(coffee):
    target = pdq_bits(pdq_of(coffee))
    near = target.copy()
    near[:40] ^= 1  # 40 bits away: outside the default 31, inside 48
    listed = {pdq_hex(near): "near"}
    assert HashGate({}, listed).run(decoded(coffee)).findings == ()
    assert HashGate({}, listed, max_distance=48).run(decoded(coffee)).findings


def test_every_frame_is_checked(coffee):
    image = DecodedImage(0, "gif", 10, 10, "0" * 64,
                         (np.ascontiguousarray(data.chelsea()), coffee), 2)
    assert HashGate({}, {pdq_of(coffee): "known"}).run(image).findings


def test_lists_from_the_policy_file_feed_the_gate(tmp_path: Path, coffee):
    (tmp_path / "pdq.txt").write_text(f"# from the operator\n{pdq_of(coffee)}\n")
    (tmp_path / "sha.txt").write_text(hashlib.sha256(b"x").hexdigest() + "\n")
    (tmp_path / "policy.toml").write_text(
        '[hash_lists]\nsha256_files = ["sha.txt"]\npdq_files = ["pdq.txt"]\n')
    lists = load_policy(tmp_path / "policy.toml").hash_lists
    gate = HashGate(lists.sha256, lists.pdq)
    labels = {f.label for f in gate.run(decoded(np.fliplr(coffee), raw=b"x")).findings}
    assert labels == {"sha256:sha", "pdq:pdq"}


def test_match_by_hashes_alone_finds_what_the_gate_finds(coffee):
    """A stored image is matched again from the hashes kept with it, without its pixels."""
    from safety.hashlist import dihedral_hex

    listed = pdq_of(np.rot90(coffee))
    gate = HashGate({"ab" * 32: "sha-list"}, {listed: "pdq-list"})
    image = decoded(coffee, index=1)
    variants = dihedral_hex(image.frames)
    assert len(variants) == 8 and variants[0] == pdq_of(coffee)
    by_pixels = gate.run(image).findings
    by_hashes = gate.match(image.original_sha256, variants, 1)
    assert [(f.code, f.label) for f in by_hashes] == [(f.code, f.label) for f in by_pixels]
    assert [f.label for f in by_hashes] == ["pdq:pdq-list"]
    assert [f.label for f in gate.match("AB" * 32, (), 0)] == ["sha256:sha-list"]
    assert gate.match(image.original_sha256, (), 0) == ()  # no PDQ kept: SHA-256 only
    precomputed = DecodedImage(1, "png", 1, 1, image.original_sha256, image.frames, 1,
                               pdq_variants=variants)
    assert gate.run(precomputed).findings == by_pixels


def test_the_fingerprint_names_the_lists_content():
    a = HashGate({"aa" * 32: "x"}, {"0f" * 32: "y"})
    assert a.fingerprint == HashGate({"AA" * 32: "x"}, {"0f" * 32: "y"}).fingerprint
    assert a.fingerprint != HashGate({"aa" * 32: "x", "bb" * 32: "x"}, {"0f" * 32: "y"}
                                     ).fingerprint
    assert a.fingerprint != HashGate({"aa" * 32: "x"}, {"0f" * 32: "y"},
                                     max_distance=10).fingerprint
    assert HashGate({}, {}).empty and not a.empty
