"""The command line through a subprocess: output, the JSON contract and exit codes."""

from __future__ import annotations

import gc
import io
import json
import warnings
from pathlib import Path

import pytest
from PIL import Image

from tests.clirun import miru, miru_process
from tests.conftest import jpeg_bytes

pytestmark = pytest.mark.slow


@pytest.fixture
def photos(tmp_path: Path, coffee_jpeg: bytes) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "coffee.jpg").write_bytes(coffee_jpeg)
    (folder / "fake.jpg").write_text("this is a text file")
    return folder


def test_ask_json_contract(env, photos):
    proc = miru(env, "ask", str(photos / "coffee.jpg"), "-q", "what is this?", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert set(out) >= {"verdict", "images", "answer", "engine", "error"}
    assert set(out["verdict"]) >= {"action", "reasons", "findings", "scores"}
    assert out["verdict"]["action"] == "allow"
    assert any(f["code"] == "nsfw_score" for f in out["verdict"]["findings"])
    image = out["images"][0]
    assert set(image) >= {"index", "sha256", "width", "height", "format", "faces"}
    assert (image["width"], image["height"], image["format"]) == (600, 400, "jpeg")
    assert out["engine"] == "ocr" and out["error"] is None


def test_ask_rejected_only_exits_65_with_error_object(env, photos):
    proc = miru(env, "ask", str(photos / "fake.jpg"), "--json")
    assert proc.returncode == 65
    out = json.loads(proc.stdout)
    assert out["error"]["code"] == "unsupported_format"
    assert "fake.jpg" in out["error"]["message"]


def test_ask_mixed_reports_the_bad_one_and_answers(env, photos):
    proc = miru(env, "ask", str(photos / "fake.jpg"), str(photos / "coffee.jpg"), "--json")
    assert proc.returncode == 0
    out = json.loads(proc.stdout)
    by_index = {i["index"]: i for i in out["images"]}
    assert by_index[0]["error"]["code"] == "unsupported_format"
    assert by_index[1]["format"] == "jpeg"
    assert out["verdict"]["action"] == "allow"


def test_ask_text_output_for_people(env, photos):
    proc = miru(env, "ask", str(photos / "coffee.jpg"))
    assert proc.returncode == 0
    assert "Verdict: allow" in proc.stdout and "Image 1: 600×400 JPEG" in proc.stdout


def test_usage_errors_exit_2(env, photos):
    assert miru(env, "ask").returncode == 2
    assert miru(env, "frobnicate").returncode == 2
    bad = dict(env, MIRU_MAX_BYTES="-5")
    proc = miru(bad, "ask", str(photos / "coffee.jpg"))
    assert proc.returncode == 2 and "MIRU_MAX_BYTES" in proc.stderr


def test_bad_policy_file_is_a_clear_error(env, photos, tmp_path):
    policy = tmp_path / "bad.toml"
    policy.write_text("[thresholds]\nnsfw_low = 'high'\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        proc = miru(dict(env, MIRU_POLICY_FILE=str(policy)), "ask", str(photos / "coffee.jpg"))
        gc.collect()  # a Redis client left open by the failed start warns as it is collected
    assert proc.returncode == 2
    assert "nsfw_low" in proc.stderr
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]


def test_screen_folder_one_json_line_per_file(env, photos):
    proc = miru(env, "screen", str(photos), "--json")
    assert proc.returncode == 0
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    by_name = {Path(r["file"]).name: r for r in rows}
    assert by_name["coffee.jpg"]["verdict"]["action"] == "allow"
    assert by_name["fake.jpg"]["error"]["code"] == "unsupported_format"


def test_screen_nothing_usable_exits_65(env, photos):
    proc = miru(env, "screen", str(photos / "fake.jpg"))
    assert proc.returncode == 65
    assert "rejected" in proc.stdout


def test_audit_verify_ok_then_tampered(env, photos, tmp_path):
    assert miru(env, "screen", str(photos)).returncode == 0
    assert miru(env, "ask", str(photos / "coffee.jpg")).returncode == 0
    log = Path(env["MIRU_AUDIT_PATH"])
    proc = miru(env, "audit", "verify")
    assert proc.returncode == 0 and proc.stdout.startswith("ok ")
    lines = log.read_text().splitlines()
    record = json.loads(lines[1])
    record["action"] = "allow" if record.get("action") != "allow" else "block"
    lines[1] = json.dumps(record)
    log.write_text("\n".join(lines) + "\n")
    proc = miru(env, "audit", "verify")
    assert proc.returncode == 1 and "line 2" in proc.stdout


def test_clean_strips_gps(env, tmp_path):
    from skimage import data

    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (35.0, 39.0, 29.0)}  # GPS IFD
    src = tmp_path / "gps.jpg"
    src.write_bytes(jpeg_bytes(data.coffee(), exif=exif.tobytes()))
    with Image.open(src) as original:
        assert original.getexif().get_ifd(0x8825)
    out = tmp_path / "clean.jpg"
    proc = miru(env, "clean", str(src), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    cleaned = Image.open(io.BytesIO(out.read_bytes()))
    assert not cleaned.getexif().get_ifd(0x8825) and "exif" not in cleaned.info


def test_doctor_names_each_check(env):
    proc = miru({**env, "MIRU_OCR_THREADS": "2", "OMP_THREAD_LIMIT": "3"}, "doctor")
    assert proc.returncode in (0, 1)
    for name in ("policy", "redis", "jobs", "tesseract", "rapidocr", "ocr tiers",
                 "safety models", "vision model"):
        assert f"] {name}:" in proc.stdout
    assert "fix: run `miru models pull " in proc.stdout or "[ok  ] vision model" in proc.stdout
    rapid_line = next(line for line in proc.stdout.splitlines() if "] rapidocr:" in line)
    assert rapid_line.startswith("[FAIL]") or rapid_line.endswith(
        "; 2 threads per read (MIRU_OCR_THREADS)")
    tesseract_line = next(line for line in proc.stdout.splitlines() if "] tesseract:" in line)
    assert tesseract_line.startswith("[FAIL]") or tesseract_line.endswith(
        "; threads: OMP_THREAD_LIMIT=3")


def test_clean_blur_faces_pixelates_the_face_the_gates_find(env, tmp_path, astronaut_jpeg):
    src = tmp_path / "astronaut.jpg"
    src.write_bytes(astronaut_jpeg)
    out = tmp_path / "blurred.jpg"
    proc = miru(env, "clean", str(src), "-o", str(out), "--blur-faces")
    assert proc.returncode == 0, proc.stderr
    assert "1 face(s) pixelated" in proc.stdout
    with Image.open(out) as blurred, Image.open(src) as original:
        assert blurred.size == original.size


def test_clean_refuses_a_non_image(env, tmp_path):
    src = tmp_path / "notes.jpg"
    src.write_text("not an image")
    proc = miru(env, "clean", str(src), "-o", str(tmp_path / "x.jpg"), "--blur-faces")
    assert proc.returncode == 65 and "notes.jpg" in proc.stderr
    assert not (tmp_path / "x.jpg").exists()


def test_screen_a_thousand_long_paths(env, tmp_path):
    """A shell glob over a big folder: onnxruntime 1.30 segfaulted (exit 139, no output) on import
    once the command line passed about 30 KB. The pinned range in pyproject.toml keeps it out."""
    from tests.render import blank, image_bytes

    png = tmp_path / "sign.png"
    png.write_bytes(image_bytes(blank((64, 48), (200, 220, 240))))
    paths = []
    for d in range(10):
        folder = tmp_path / f"uploads-from-the-shared-team-channel-{'x' * 60}-{d:02d}"
        folder.mkdir()
        for i in range(100):
            link = folder / f"screenshot-{d:02d}-{i:03d}.png"
            link.symlink_to(png)
            paths.append(str(link))
    assert sum(len(p) + 1 for p in paths) > 100_000
    proc = miru_process(env, "screen", *paths, timeout=280)  # the argv of a real process
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    assert len(lines) == 1000
    assert all(line.startswith(p + ": ") for line, p in zip(lines, paths, strict=True))


def test_logs_are_json_lines_on_a_pipe_at_the_configured_level(env, photos):
    """The decoder pool logs through structlog: configured, it is a JSON line on a pipe, and
    MIRU_LOG_LEVEL filters it (tests/unit/test_logsetup.py covers stdlib records too)."""
    from tests.render import blank, image_bytes

    png = photos / "sign.png"
    # Big enough that its decode cannot finish before the event loop sees the 1 µs timer: with
    # a tiny image, a loop stalled on a loaded machine saw the result first (Python 3.11's
    # wait_for then returns it) and the decode did not time out.
    png.write_bytes(image_bytes(blank((4000, 3000))))
    slow = dict(env, MIRU_DECODE_TIMEOUT_S="0.000001", MIRU_INLINE_DECODE_MAX_PIXELS="0")
    proc = miru(slow, "screen", str(png))
    assert proc.returncode == 65
    logs = [json.loads(line) for line in proc.stderr.splitlines()]
    restart = next(r for r in logs if r["event"] == "decoder_pool_restarted")
    assert restart["level"] == "warning" and restart["reason"] == "timeout"
    quiet = miru(dict(slow, MIRU_LOG_LEVEL="error"), "screen", str(png))
    assert quiet.returncode == 65 and quiet.stderr == ""


def test_a_bad_log_level_is_a_usage_error(env, photos):
    proc = miru(dict(env, MIRU_LOG_LEVEL="chatty"), "screen", str(photos))
    assert proc.returncode == 2
    assert "MIRU_LOG_LEVEL" in proc.stderr and proc.stdout == ""


def test_run_names_the_platforms_it_knows_and_what_each_needs(env):
    unknown = miru(env, "run", "irc")
    assert unknown.returncode == 2 and "slack" in unknown.stderr
    unset = miru(env, "run", "slack")  # no SLACK_BOT_TOKEN: refused before anything starts
    assert unset.returncode == 2 and "SLACK_BOT_TOKEN" in unset.stderr
