"""How a long strip (a scrolling screenshot, a panorama) is cut into overlapping network inputs;
shared by OCR and faces."""

from __future__ import annotations

import math

ALIGN = 32  # both networks take sides in multiples of 32 (five stride-2 stages)


def tile_spans(length: int, tile: int, overlap: int) -> list[tuple[int, int]]:
    """[start, end) spans of at most about `tile` px, multiples of 32, covering `length` with
    neighbours sharing at least `overlap`; one span when it fits. Starts lie on the networks'
    32 px grid (away from the seams a tile sees what one pass over the whole strip would), the
    last one ends at `length`."""
    if length <= tile:
        return [(0, length)]
    count = math.ceil((length - overlap) / (tile - overlap))
    size = math.ceil((length + (count - 1) * overlap) / count / ALIGN) * ALIGN
    starts = [
        min(length - size, round(i * (length - size) / (count - 1) / ALIGN) * ALIGN)
        for i in range(count)
    ]
    starts[-1] = length - size
    return [(start, start + size) for start in starts]
