"""Write the sample images for ``make demo``: a Japanese and an English receipt, and a photo
carrying GPS EXIF (so the demo can show the location being stripped).

    .venv/bin/python scripts/make_samples.py OUT_DIR

Output is deterministic: running it twice writes the same bytes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.imaging.samples import RECEIPT_EN, RECEIPT_JA, photo_with_gps, png_bytes, render_receipt


def write_samples(out_dir: Path) -> list[Path]:
    """Render the samples into ``out_dir`` (created if needed); the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {
        "receipt_ja.png": png_bytes(render_receipt(RECEIPT_JA).image),
        "receipt_en.png": png_bytes(render_receipt(RECEIPT_EN).image),
        "photo.jpg": photo_with_gps(),
    }
    written = []
    for name, data in files.items():
        path = out_dir / name
        path.write_bytes(data)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path, help="folder to write the samples into")
    args = parser.parse_args(argv)
    try:
        written = write_samples(args.out_dir)
    except OSError as err:
        print(f"make_samples: cannot write to {args.out_dir}: {err.strerror}", file=sys.stderr)
        return 73  # EX_CANTCREAT
    for path in written:
        print(f"wrote {path} ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
