"""Finding the sheet in a photo (``bot.receipts.paper.find_paper``): its corners where its sides
meet, so that flattening it keeps the margin and the first letter of every row."""

from __future__ import annotations

import cv2
import numpy as np

from bot.receipts import paper as P

TABLE = (90, 60, 40)
CORNERS = np.array([[300, 200], [1100, 260], [1020, 2300], [220, 2240]], np.float32)


def photo(folded: bool = False) -> np.ndarray:
    """A tilted white sheet on a brown table; ``folded``: its top left corner turned under."""
    rgb = np.zeros((2600, 1400, 3), np.uint8)
    rgb[:] = TABLE
    cv2.fillConvexPoly(rgb, CORNERS.astype(np.int32), (245, 245, 240))
    if folded:
        cv2.fillConvexPoly(rgb, np.array([[300, 200], [420, 209], [288, 320]], np.int32), TABLE)
    return rgb


def test_a_sheets_corners_are_where_its_sides_meet() -> None:
    for folded in (False, True):
        found = P.find_paper(photo(folded))
        assert found is not None
        # a folded corner used to pull the sheet's corner 116 px inside, cutting off the
        # rows' first letters along that side
        assert np.abs(found - CORNERS).max() < 10


def test_no_sheet_no_corners() -> None:
    rgb = np.zeros((800, 600, 3), np.uint8)
    rgb[:] = TABLE
    assert P.find_paper(rgb) is None


def test_a_level_side_with_a_dark_corner_still_gets_its_line() -> None:
    """A sheet whose top side lies level in the photo and whose scan has a black corner (SROIE
    274 photographed): the outline's level run was kept as its two ends only, too few points to
    fit the top side, and the corner stayed inside the sheet, cutting the first letters of
    every row."""
    level = np.array([[300, 200], [1100, 200], [1150, 2300], [220, 2240]], np.float32)
    rgb = np.zeros((2600, 1400, 3), np.uint8)
    rgb[:] = TABLE
    cv2.fillConvexPoly(rgb, level.astype(np.int32), (245, 245, 240))
    cv2.fillConvexPoly(rgb, np.array([[300, 200], [460, 200], [296, 330]], np.int32), (20, 20, 20))
    found = P.find_paper(rgb)
    assert found is not None
    assert np.abs(found - level).max() < 12


def test_a_corner_cut_off_wide_is_put_back_where_its_sides_meet() -> None:
    """A photo of SROIE 218, whose scan has a black triangle over half the top: the outline is
    a pentagon, and the sides kept as the sheet's ran along the triangle's long edge, so the
    page came out sheared, its top rows cut and every row on a slant."""
    rgb = photo()
    cv2.fillConvexPoly(rgb, np.array([[300, 200], [800, 237], [294, 700]], np.int32), (20, 20, 20))
    found = P.find_paper(rgb)
    assert found is not None
    assert np.abs(found - CORNERS).max() < 15


def test_a_pentagon_is_no_sheet_with_a_cut_corner() -> None:
    """Guard: five sides that meet far from right angles give no corners to put back."""
    angles = np.deg2rad(np.arange(5) * 72 - 90)
    poly = np.stack([700 + 500 * np.cos(angles), 1300 + 500 * np.sin(angles)], 1)
    area = cv2.contourArea(poly.astype(np.float32))
    assert P._cut_corners(poly.astype(np.float32), area) is None
    # and a rectangle with one corner cut gets that corner back
    cut = np.array([[100, 0], [800, 0], [800, 1000], [0, 1000], [0, 100]], np.float32)
    back = P._cut_corners(cut, cv2.contourArea(cut))
    assert back is not None
    assert min(float(np.linalg.norm(c)) for c in back) < 1


def test_a_scans_dark_edge_does_not_run_its_rows_together() -> None:
    """A dark band down the slip's side (a scanner's edge; the streaks levelling a tilted page
    draws out of it into the corners it brings in, SROIE 509) has ink in every row, and the
    rows ran together into one: no row height, or one of 113 px that shrank the slip to a
    quarter for OCR. The columns at the sides are left out."""
    gray = np.full((1800, 600), 235, np.uint8)
    for top in range(60, 1740, 34):
        for left in range(40, 520, 60):
            gray[top:top + 20, left:left + 44] = 30
    plain = P.text_height(gray)
    assert plain is not None and 19 <= plain <= 22
    gray[:, :8] = 160
    assert P.text_height(gray) == plain
    # the corners levelling brought in are left out however wide they are
    gray[:, :40] = 160
    assert P.text_height(gray, margin=42) == plain
