"""`miru calibrate` on benign photos in both folders (real ingest, real gates): the printed
rates are the arithmetic of the per-file scores it reports; broken input is skipped or refused."""

from __future__ import annotations

import json

from tests.clirun import miru


def test_rates_are_the_arithmetic_of_the_scores(env, tmp_path, coffee_jpeg, chelsea_jpeg,
                                                astronaut_jpeg):
    root = tmp_path / "labelled"
    (root / "unsafe").mkdir(parents=True)
    (root / "safe").mkdir()
    (root / "unsafe" / "coffee.jpg").write_bytes(coffee_jpeg)
    (root / "unsafe" / "chelsea.jpg").write_bytes(chelsea_jpeg)
    (root / "safe" / "astronaut.jpg").write_bytes(astronaut_jpeg)
    (root / "safe" / "notes.txt").write_text("not an image")
    proc = miru(env, "calibrate", str(root), "--json", "--target-fpr", "0.5")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert (report["unsafe"], report["safe"]) == (2, 1)
    assert [s["file"].rsplit("/", 1)[1] for s in report["skipped"]] == ["notes.txt"]
    files = report["files"]
    for name, data in report["classifiers"].items():
        for row in data["rows"]:
            t = row["threshold"]
            tp = sum(1 for f in files if f["unsafe"] and f[name] >= t)
            fp = sum(1 for f in files if not f["unsafe"] and f[name] >= t)
            assert (row["tp"], row["fn"], row["fp"], row["tn"]) == (tp, 2 - tp, fp, 1 - fp)
            assert row["recall"] == tp / 2 and row["fpr"] == fp / 1
        best = data["for_target"]
        fine = [r for r in data["rows"] if r["fpr"] <= 0.5]
        assert best == (fine[0] if fine else None)
    flagged = {f["file"] for f in files if f["action"] in ("hold", "block", "block_and_preserve")}
    policy = report["policy"]
    assert policy["tp"] == sum(1 for f in files if f["unsafe"] and f["file"] in flagged)
    assert policy["fp"] == sum(1 for f in files if not f["unsafe"] and f["file"] in flagged)
    text = miru(env, "calibrate", str(root))
    assert text.returncode == 0 and "open_nsfw: threshold" in text.stdout
    assert "combined policy" in text.stdout


def test_a_folder_without_unsafe_and_safe_is_refused(env, tmp_path):
    proc = miru(env, "calibrate", str(tmp_path))
    assert proc.returncode == 2 and "needs unsafe/ and safe/" in proc.stderr
    (tmp_path / "unsafe").mkdir()
    (tmp_path / "safe").mkdir()
    empty = miru(env, "calibrate", str(tmp_path))
    assert empty.returncode == 65 and "no usable images" in empty.stderr
    bad = miru(env, "calibrate", str(tmp_path), "--target-fpr", "2")
    assert bad.returncode == 2
