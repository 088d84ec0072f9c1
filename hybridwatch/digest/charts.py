"""Sparkline charts for the digest: a small PNG per spike, written with the standard library only.

Each chart shows the daily counts of the baseline window as grey bars, the baseline mean as a thin line
and the digest day as a red bar, so a reader sees at a glance how far the day stands out.
"""

import struct
import zlib
from typing import Final

#: Chart size in pixels; the HTML shows it at this size (small enough for a table cell on a phone).
CHART_WIDTH_PX: Final = 150
CHART_HEIGHT_PX: Final = 36
_PADDING_PX: Final = 2
_BACKGROUND: Final = (255, 255, 255)
_BASELINE_BAR: Final = (176, 184, 196)
_DAY_BAR: Final = (200, 30, 45)
_MEAN_LINE: Final = (90, 98, 112)

Pixel = tuple[int, int, int]


def sparkline_png(counts: list[int] | tuple[int, ...], baseline_mean: float) -> bytes:
    """Return a PNG bar chart of ``counts`` (the last one is the digest day) with the baseline mean."""
    if not counts:
        raise ValueError("a sparkline needs at least one count")
    canvas = [[_BACKGROUND] * CHART_WIDTH_PX for _ in range(CHART_HEIGHT_PX)]
    plot_height = CHART_HEIGHT_PX - 2 * _PADDING_PX
    top = max(max(counts), baseline_mean, 1)
    slot = (CHART_WIDTH_PX - 2 * _PADDING_PX) / len(counts)
    bar_width = max(1, int(slot) - 2)
    for index, count in enumerate(counts):
        left = _PADDING_PX + int(index * slot)
        # A day without items still shows a one-pixel stub, so the time axis reads as continuous.
        height = max(1, round(count / top * plot_height))
        colour = _DAY_BAR if index == len(counts) - 1 else _BASELINE_BAR
        for y in range(CHART_HEIGHT_PX - _PADDING_PX - height, CHART_HEIGHT_PX - _PADDING_PX):
            for x in range(left, min(left + bar_width, CHART_WIDTH_PX)):
                canvas[y][x] = colour
    mean_y = CHART_HEIGHT_PX - _PADDING_PX - round(baseline_mean / top * plot_height)
    mean_y = min(max(mean_y, _PADDING_PX), CHART_HEIGHT_PX - _PADDING_PX - 1)
    for x in range(_PADDING_PX, CHART_WIDTH_PX - _PADDING_PX, 2):  # dotted
        canvas[mean_y][x] = _MEAN_LINE
    return encode_png(canvas)


def encode_png(rows: list[list[Pixel]]) -> bytes:
    """Encode rows of RGB pixels as a PNG (8-bit truecolour, no filtering)."""
    height, width = len(rows), len(rows[0])
    raw = b"".join(b"\x00" + bytes(channel for pixel in row for channel in pixel) for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(raw, 9)),
            _chunk(b"IEND", b""),
        )
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )
