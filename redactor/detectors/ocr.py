"""Text lines, with word boxes, from PP-OCR's detection and recognition models.

The models are the PP-OCRv6 det/rec ONNX files that the `rapidocr` wheel ships (Apache-2.0); we
only take the files and run them on ONNX Runtime with our own pre- and post-processing, so the
providers, threads and input sizes are ours and every character keeps its position:

    image ─► detector (DB text segmentation at most `det_max_side` px on the long side)
          ─► one rotated rectangle per text line (minAreaRect of each blob, grown by `unclip`)
          ─► line straightened by a perspective warp (tilted badges read like flat ones)
          ─► recogniser (CTC over 48 px high crops, one column per 8 input px)
          ─► text + the column of each character ─► word boxes mapped back through the warp

The angle classifier is not run: a line read with a low score is read once more turned by 180°
and the better reading kept, which costs a few ms only where it is needed.

OCR is the slowest stage, so it runs once per image (memoised in the Context under
OCR_LINES) and the engine is built once per process.
"""

from __future__ import annotations

import importlib.util
import math
import threading
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from redactor import attributes
from redactor.detectors.base import OCR_LINES, Context, DetectorSettings, Region
from redactor.detectors.tiles import tile_spans
from redactor.errors import ImageError, ModelError
from redactor.runtime import onnx_session, run_options_for, shrinking_run_options

DET_MODEL = "PP-OCRv6_det_small.onnx"
REC_MODEL = "PP-OCRv6_rec_small.onnx"

REC_HEIGHT = 48  # the recogniser's input height
REC_STRIDE = 8  # input pixels per output column (48x320 -> 40 columns)
# Detector px shared by neighbouring tiles: each side of a seam sees 64 px of context.
TILE_OVERLAP = 128


@dataclass(frozen=True)
class OcrSettings:
    """Knobs of the OCR engine. The defaults are what the benchmarks were measured with."""

    # Long side of the detector's input: larger images are scaled down to it, smaller ones are
    # read at their own size (PP-OCR's default upscales the short side to 736: a 900x420 card
    # becomes 1568x736, 3x the work). Text stays found down to ~6 px high after scaling: 9 px
    # fonts in a 1280x720 photo, 10 px in 1920x1080. Recognition reads full-resolution crops.
    det_max_side: int = 1280
    # Images smaller than this on their long side are upscaled for detection (tiny screenshots).
    det_min_side: int = 512
    # Strips (one side over `strip_ratio` x the other: scrolling screenshots, panoramas) are
    # not shrunk to `det_max_side`, which would make their text a few px high: they are read
    # with the short side at most `det_max_side`, in tiles up to `tile_length` long, and cost
    # about their area in screens. Past `max_strip_pixels` they are scaled down to fit.
    strip_ratio: float = 2.0
    tile_length: int = 2048
    max_strip_pixels: int = 40 * 1280 * 720
    bin_threshold: float = 0.3  # DB probability map -> text mask
    box_threshold: float = 0.5  # mean probability inside a candidate line
    unclip_ratio: float = 1.6  # grow the shrunk text kernel back to the line's full extent
    max_candidates: int = 1000
    min_line_score: float = 0.3  # lines read worse than this are dropped (garbage)
    retry_score: float = 0.8  # lines read worse than this are read again turned by 180 degrees
    min_rec_width: int = 96  # short crops are padded to this width (short words read better)
    threads: int | None = None  # ONNX Runtime intra-op threads; None: the CPUs we may use, max 4


@dataclass(frozen=True)
class OcrWord:
    """A run of non-space characters of a line: `line.text[start:end] == text`."""

    text: str
    start: int
    end: int
    polygon: np.ndarray  # 4 x 2 float32, image px: top-left, top-right, bottom-right, bottom-left


@dataclass(frozen=True, eq=False)
class OcrLine:
    """One line of text as read, with the geometry to place any character span in the image."""

    text: str
    polygon: np.ndarray  # 4 x 2 float32, image px, in reading order: tl, tr, br, bl
    score: float  # mean character confidence, 0..1
    words: tuple[OcrWord, ...]
    # Straightened-crop geometry: x of each character's centre in crop px, the crop's size, and
    # the 3 x 3 homography that takes crop px to image px.
    char_x: np.ndarray
    crop_size: tuple[int, int]  # width, height
    crop_to_image: np.ndarray

    @property
    def box(self) -> tuple[int, int, int, int]:
        return polygon_box(self.polygon)

    def span_polygon(self, start: int, end: int) -> np.ndarray | None:
        """The quadrilateral covering characters [start, end) of `text`, grown to whole words.

        A span that starts or ends inside a word covers that whole word (err on covering: a
        character-exact cut could leave a sliver of a letter readable). Word edges are the
        centres of the neighbouring spaces, or the line's ends. None when the span holds no word.
        """
        touched = [w for w in self.words if w.start < end and w.end > start]
        if not touched:
            return None
        # A tenth of the line height either side: CTC places characters to within a column.
        pad = 0.1 * self.crop_size[1]
        x0 = max(0.0, self._word_left(touched[0].start) - pad)
        x1 = min(float(self.crop_size[0]), self._word_right(touched[-1].end) + pad)
        return self._crop_span_to_image(x0, x1)

    def word_polygon(self, start: int, end: int) -> np.ndarray:
        return self._crop_span_to_image(self._word_left(start), self._word_right(end))

    def _word_left(self, start: int) -> float:
        return 0.0 if start == 0 else float(self.char_x[start - 1])

    def _word_right(self, end: int) -> float:
        return float(self.crop_size[0]) if end >= len(self.text) else float(self.char_x[end])

    def _crop_span_to_image(self, x0: float, x1: float) -> np.ndarray:
        height = float(self.crop_size[1])
        corners = np.array([[x0, 0.0], [x1, 0.0], [x1, height], [x0, height]], np.float64)
        return apply_homography(self.crop_to_image, corners).astype(np.float32)


def polygon_box(polygon: np.ndarray) -> tuple[int, int, int, int]:
    """Integer bounding box (x1/y1 exclusive) that contains the polygon."""
    return (
        int(math.floor(float(polygon[:, 0].min()))),
        int(math.floor(float(polygon[:, 1].min()))),
        int(math.ceil(float(polygon[:, 0].max()))) + 1,
        int(math.ceil(float(polygon[:, 1].max()))) + 1,
    )


def detection_scale(width: int, height: int, settings: OcrSettings) -> float:
    """Detector px per image px: ordinary images fit `det_max_side` on their long side (tiny
    ones are enlarged to `det_min_side`); strips keep their short side legible instead."""
    long_side, short_side = max(width, height), max(1, min(width, height))
    if long_side > settings.det_max_side and long_side > settings.strip_ratio * short_side:
        scale = min(1.0, settings.det_max_side / short_side)
        budget = (settings.max_strip_pixels / (width * height)) ** 0.5
        return min(scale, budget)
    if long_side > settings.det_max_side:
        return settings.det_max_side / long_side
    if long_side < settings.det_min_side:
        return settings.det_min_side / long_side
    return 1.0


def apply_homography(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """points N x 2 -> N x 2 through a 3 x 3 projective transform."""
    ones = np.ones((len(points), 1), np.float64)
    mapped = np.hstack([points.astype(np.float64), ones]) @ matrix.T
    return mapped[:, :2] / mapped[:, 2:3]


def model_dir() -> Path:
    """The folder of the `rapidocr` wheel's models, found without importing rapidocr."""
    spec = importlib.util.find_spec("rapidocr")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            "the OCR models come with the `rapidocr` package, which is not installed: "
            "pip install 'rapidocr>=3.4,<4'"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "models"


class OcrEngine:
    """PP-OCR detection + recognition on ONNX Runtime (CPU). Stateless per call: thread-safe."""

    def __init__(self, settings: OcrSettings = OcrSettings()):
        import cv2  # noqa: F401  (fail here, not mid-image, if OpenCV is missing)

        self.settings = settings
        folder = model_dir()
        paths = {name: folder / name for name in (DET_MODEL, REC_MODEL)}
        for path in paths.values():
            if not path.is_file():
                raise ModelError(
                    f"OCR model file {path} is missing; reinstall it: "
                    "pip install --force-reinstall 'rapidocr>=3.4,<4'"
                )
        self._run_options = shrinking_run_options()
        # 10% of the detector's weights are denormal floats: flushing them to zero is exact for
        # the outputs (identical masks) and makes detection ~1.6x faster. No spinning: it made
        # recognition 2x slower on a busy machine (no measurable loss on an idle one).
        options = {
            "threads": settings.threads,
            "max_threads": 4,
            "low_memory": True,
            "spinning": False,
            "denormal_as_zero": True,
        }
        try:
            self.det = onnx_session(paths[DET_MODEL], ["CPUExecutionProvider"], **options)
            self.rec = onnx_session(paths[REC_MODEL], ["CPUExecutionProvider"], **options)
        except Exception as error:  # onnxruntime raises its own untyped errors
            raise ModelError(
                f"could not open the OCR models in {folder} ({type(error).__name__}); "
                "reinstall them: pip install --force-reinstall 'rapidocr>=3.4,<4'"
            ) from error
        self.det_input = self.det.get_inputs()[0].name
        self.rec_input = self.rec.get_inputs()[0].name
        metadata = self.rec.get_modelmeta().custom_metadata_map
        if "character" not in metadata:
            raise ModelError(f"{paths[REC_MODEL]} carries no character table; reinstall rapidocr")
        # CTC classes: 0 is the blank, then the model's characters, then the space.
        self.charset: list[str] = ["", *metadata["character"].splitlines(), " "]

    # --- public ------------------------------------------------------------------------------

    def read(self, image: np.ndarray) -> list[OcrLine]:
        """All text lines of an H x W x 3 uint8 RGB image, top to bottom, left to right."""
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ImageError(
                f"OCR needs an H x W x 3 uint8 RGB image, got {image.dtype} {image.shape}"
            )
        bgr = np.ascontiguousarray(image[:, :, ::-1])  # PP-OCR models were trained on BGR
        lines = []
        for quad in self.detect_lines(bgr):
            line = self.recognise(bgr, quad)
            if line is not None and line.score >= self.settings.min_line_score:
                lines.append(line)
        return lines

    def detect_lines(self, bgr: np.ndarray) -> list[np.ndarray]:
        """Line quadrilaterals (4 x 2 float32, tl tr br bl, image px) in reading order."""
        import cv2

        height, width = bgr.shape[:2]
        s = self.settings
        scale = detection_scale(width, height, s)
        det_h = max(32, int(round(height * scale / 32)) * 32)
        det_w = max(32, int(round(width * scale / 32)) * 32)
        interpolation = cv2.INTER_AREA if det_w < width else cv2.INTER_LINEAR
        resized = cv2.resize(bgr, (det_w, det_h), interpolation=interpolation)
        prob = self._probability(resized)  # det_h x det_w, 0..1

        mask = cv2.dilate((prob > s.bin_threshold).astype(np.uint8), np.ones((2, 2), np.uint8))
        contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
        to_image = np.array([width / det_w, height / det_h], np.float32)
        quads = []
        # The candidate cap is per screen's worth of detector pixels: a strip holds more lines.
        screens = max(1, math.ceil(det_w * det_h / s.det_max_side**2))
        for contour in contours[: s.max_candidates * screens]:
            (cx, cy), (rw, rh), angle = cv2.minAreaRect(contour)
            if min(rw, rh) < 3:
                continue
            if _mean_inside(prob, cv2.boxPoints(((cx, cy), (rw, rh), angle))) < s.box_threshold:
                continue
            # DB's unclip: offset the kernel outwards by area * ratio / perimeter.
            grow = rw * rh * s.unclip_ratio / (2.0 * (rw + rh))
            grown = ((cx, cy), (rw + 2 * grow, rh + 2 * grow), angle)
            if min(grown[1]) < 5:
                continue
            quad = _order_corners(cv2.boxPoints(grown)) * to_image
            quad[:, 0] = np.clip(quad[:, 0], 0, width)
            quad[:, 1] = np.clip(quad[:, 1], 0, height)
            edge_w = np.linalg.norm(quad[0] - quad[1])
            edge_h = np.linalg.norm(quad[0] - quad[3])
            if edge_w <= 3 or edge_h <= 3:
                continue
            quads.append(quad.astype(np.float32))
        # Reading order: rows of similar top y (within half a line), then left to right.
        quads.sort(key=lambda q: (float(q[:, 1].min()), float(q[:, 0].min())))
        ordered: list[np.ndarray] = []
        row: list[np.ndarray] = []
        for quad in quads:
            if row and quad[:, 1].min() - row[0][:, 1].min() > 0.5 * _quad_height(row[0]):
                ordered.extend(sorted(row, key=lambda q: float(q[:, 0].min())))
                row = []
            row.append(quad)
        ordered.extend(sorted(row, key=lambda q: float(q[:, 0].min())))
        return ordered

    def _probability(self, resized: np.ndarray) -> np.ndarray:
        """The DB text probability map of a BGR image whose sides are multiples of 32. A long
        strip is run in overlapping tiles along its long side and the maps are stitched at the
        middle of each overlap, so a line crossing a seam stays one blob (read once, whole)."""
        det_h, det_w = resized.shape[:2]
        tall = det_h > det_w
        length = det_h if tall else det_w
        prob = np.empty((det_h, det_w), np.float32)
        spans = tile_spans(length, self.settings.tile_length, TILE_OVERLAP)
        for index, (start, end) in enumerate(spans):
            tile = resized[start:end] if tall else resized[:, start:end]
            blob = (tile.astype(np.float32) * (2.0 / 255.0) - 1.0).transpose(2, 0, 1)[None]
            options = run_options_for(blob, self._run_options)
            tile_prob = self.det.run(None, {self.det_input: blob}, options)[0][0, 0]
            # Keep each tile's part up to the middle of its overlap with the neighbours.
            keep0 = start if index == 0 else (start + spans[index - 1][1]) // 2
            keep1 = end if index == len(spans) - 1 else (spans[index + 1][0] + end) // 2
            if tall:
                prob[keep0:keep1] = tile_prob[keep0 - start : keep1 - start]
            else:
                prob[:, keep0:keep1] = tile_prob[:, keep0 - start : keep1 - start]
        return prob

    def recognise(self, bgr: np.ndarray, quad: np.ndarray) -> OcrLine | None:
        """Read one line. Upright first (or turned 90 degrees for tall boxes); a poor reading
        is retried turned by 180 degrees."""
        width = float(max(np.linalg.norm(quad[0] - quad[1]), np.linalg.norm(quad[3] - quad[2])))
        height = float(max(np.linalg.norm(quad[0] - quad[3]), np.linalg.norm(quad[1] - quad[2])))
        quarter_turns = 1 if height >= 1.5 * width else 0
        best = self._read_turned(bgr, quad, quarter_turns)
        if best is None or best.score < self.settings.retry_score:
            turned = self._read_turned(bgr, quad, quarter_turns + 2)
            if turned is not None and (best is None or turned.score > best.score):
                best = turned
        return best

    # --- internals ---------------------------------------------------------------------------

    def _read_turned(self, bgr: np.ndarray, quad: np.ndarray, quarter_turns: int) -> OcrLine | None:
        import cv2

        # Rolling the corners turns the crop: corner i of the source lands on the crop's corner 0.
        source = np.roll(quad, -quarter_turns, axis=0).astype(np.float32)
        crop_w = int(round(max(np.linalg.norm(source[0] - source[1]),
                               np.linalg.norm(source[3] - source[2]))))  # fmt: skip
        crop_h = int(round(max(np.linalg.norm(source[0] - source[3]),
                               np.linalg.norm(source[1] - source[2]))))  # fmt: skip
        if crop_w < 2 or crop_h < 4:
            return None
        target = np.array([[0, 0], [crop_w, 0], [crop_w, crop_h], [0, crop_h]], np.float32)
        warp = cv2.getPerspectiveTransform(source, target)
        crop = cv2.warpPerspective(
            bgr, warp, (crop_w, crop_h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
        )
        content_w = max(1, int(math.ceil(REC_HEIGHT * crop_w / crop_h)))
        columns = int(math.ceil(content_w / REC_STRIDE))
        input_w = max(self.settings.min_rec_width, columns * REC_STRIDE)
        interpolation = cv2.INTER_AREA if crop_h > REC_HEIGHT else cv2.INTER_LINEAR
        resized = cv2.resize(crop, (content_w, REC_HEIGHT), interpolation=interpolation)
        blob = np.zeros((1, 3, REC_HEIGHT, input_w), np.float32)  # 0 = mid grey once normalised
        blob[0, :, :, :content_w] = (resized.astype(np.float32) * (2.0 / 255.0) - 1.0).transpose(
            2, 0, 1
        )
        outputs = self.rec.run(
            None, {self.rec_input: blob}, run_options_for(blob, self._run_options)
        )
        probs = outputs[0][0]  # columns x classes, softmaxed
        text, centres, score = self._decode(probs, input_w)
        if not text:
            return None
        char_x = np.asarray(centres, np.float32) * (crop_w / content_w)
        crop_to_image = cv2.getPerspectiveTransform(target, source).astype(np.float64)
        return build_line(text, source, score, char_x, (crop_w, crop_h), crop_to_image)

    def _decode(self, probs: np.ndarray, input_w: int) -> tuple[str, list[float], float]:
        """Greedy CTC: runs of the same class make one character; blanks separate repeats.
        Returns the text without outer spaces, each character's centre x in input px, and the
        mean of the characters' peak probabilities."""
        labels = probs.argmax(axis=1)
        peaks = probs.max(axis=1)
        column_px = input_w / len(labels)
        chars: list[str] = []
        centres: list[float] = []
        confidences: list[float] = []
        run_start = 0
        for column in range(1, len(labels) + 1):
            if column < len(labels) and labels[column] == labels[run_start]:
                continue
            label = int(labels[run_start])
            if label != 0:
                chars.append(self.charset[label] if label < len(self.charset) else "")
                centres.append((run_start + column) / 2.0 * column_px)
                confidences.append(float(peaks[run_start:column].max()))
            run_start = column
        # Drop outer spaces, keeping characters and centres aligned.
        while chars and chars[0].isspace():
            chars.pop(0), centres.pop(0), confidences.pop(0)
        while chars and chars[-1].isspace():
            chars.pop(), centres.pop(), confidences.pop()
        if not chars:
            return "", [], 0.0
        return "".join(chars), centres, float(np.mean(confidences))


def build_line(
    text: str,
    polygon: np.ndarray,
    score: float,
    char_x: np.ndarray,
    crop_size: tuple[int, int],
    crop_to_image: np.ndarray,
) -> OcrLine:
    """An OcrLine with its words (maximal runs of non-space characters) placed in the image."""
    bare = OcrLine(text, polygon, score, (), char_x, crop_size, crop_to_image)
    words = []
    start = None
    for index, char in enumerate(text + " "):
        if not char.isspace() and start is None:
            start = index
        elif char.isspace() and start is not None:
            words.append(OcrWord(text[start:index], start, index, bare.word_polygon(start, index)))
            start = None
    return OcrLine(text, polygon, score, tuple(words), char_x, crop_size, crop_to_image)


def _order_corners(points: np.ndarray) -> np.ndarray:
    """4 x 2 corners of a rotated rectangle -> top-left, top-right, bottom-right, bottom-left."""
    by_x = points[np.argsort(points[:, 0], kind="stable")]
    left = by_x[:2][np.argsort(by_x[:2, 1], kind="stable")]
    right = by_x[2:][np.argsort(by_x[2:, 1], kind="stable")]
    return np.array([left[0], right[0], right[1], left[1]], np.float32)


def _quad_height(quad: np.ndarray) -> float:
    return float(np.linalg.norm(quad[0] - quad[3]))


def _mean_inside(prob: np.ndarray, corners: np.ndarray) -> float:
    """Mean of the probability map inside a polygon (DB's box score)."""
    import cv2

    h, w = prob.shape
    x0 = int(np.clip(np.floor(corners[:, 0].min()), 0, w - 1))
    x1 = int(np.clip(np.ceil(corners[:, 0].max()), 0, w - 1))
    y0 = int(np.clip(np.floor(corners[:, 1].min()), 0, h - 1))
    y1 = int(np.clip(np.ceil(corners[:, 1].max()), 0, h - 1))
    inside = np.zeros((y1 - y0 + 1, x1 - x0 + 1), np.uint8)
    cv2.fillPoly(inside, [np.round(corners - [x0, y0]).astype(np.int32)], 1)
    return float(cv2.mean(prob[y0 : y1 + 1, x0 : x1 + 1], inside)[0])


_ENGINES: dict[OcrSettings, OcrEngine] = {}
_ENGINES_LOCK = threading.Lock()


def shared_engine(settings: OcrSettings = OcrSettings()) -> OcrEngine:
    """One engine per process and settings: start-up (~0.5 s) happens once."""
    with _ENGINES_LOCK:
        if settings not in _ENGINES:
            _ENGINES[settings] = OcrEngine(settings)
        return _ENGINES[settings]


class TextDetector:
    """Every line of text (attribute `text_any`): one polygon region per OCR line.

    `lines(image, ctx)` is what the private-text detector reads; it is memoised per image, so
    OCR runs once however many text attributes are hidden. `threshold` is the least line score
    (mean character confidence) a line needs to count.
    """

    name = "ocr"
    attributes = frozenset({attributes.TEXT_ANY})
    default_threshold = 0.5

    def __init__(
        self,
        threshold: float | None = None,
        *,
        threads: int | None = None,
        settings: OcrSettings | None = None,
    ):
        self.threshold = self.default_threshold if threshold is None else float(threshold)
        settings = settings or OcrSettings()
        if threads is not None:
            settings = replace(settings, threads=threads)
        self.engine = shared_engine(settings)

    @classmethod
    def from_settings(cls, settings: DetectorSettings) -> TextDetector:
        return cls(settings.threshold, threads=settings.threads)

    def lines(self, image: np.ndarray, ctx: Context) -> list[OcrLine]:
        everything = ctx.memo(OCR_LINES, lambda: ctx.timed("ocr", lambda: self.engine.read(image)))
        return [line for line in everything if line.score >= self.threshold]

    def detect(self, image: np.ndarray, ctx: Context) -> list[Region]:
        return [
            Region(
                attributes=(attributes.TEXT_ANY,),
                box=line.box,
                score=line.score,
                detector=self.name,
                kind="text",
                shape="polygon",
                polygon=line.polygon,
                text=line.text,
                label="TEXT",
            )
            for line in self.lines(image, ctx)
        ]
