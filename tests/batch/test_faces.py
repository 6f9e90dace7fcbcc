"""The CenterFace detector: the model rewrite, faces in the sample, small faces in large photos."""

from __future__ import annotations

import numpy as np
from PIL import Image

from redactor.detectors.faces import FaceDetector, model_bytes
from tests.batch.conftest import ASTRONAUT_FACE, overlaps


def test_model_weights_are_no_longer_graph_inputs_and_the_shape_is_dynamic():
    import onnx

    model = onnx.load_from_string(model_bytes())
    assert [i.name for i in model.graph.input] == ["input.1"]
    dims = model.graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_param or d.dim_value for d in dims] == ["batch", 3, "height", "width"]


def test_finds_the_face_in_the_sample_photo(face_detector, astronaut_upright):
    faces = face_detector.detect(astronaut_upright)
    assert len(faces) == 1
    face = faces[0]
    assert overlaps(face.box, ASTRONAUT_FACE, 0.8)
    assert face.attributes == ("a9_face_complete", "a10_face_partial")
    assert face.kind == "face" and face.shape == "ellipse" and face.score > 0.8


def test_threshold_is_respected(astronaut_upright):
    assert FaceDetector(threshold=0.999).detect(astronaut_upright) == []


def _crowd(astronaut: np.ndarray, face_px: int, canvas: tuple[int, int], count: int):
    """`count` copies of the sample's head, scaled so the face is `face_px` wide, on a grey
    canvas (W x H). -> (image, face boxes)."""
    x0, y0, x1, y1 = ASTRONAUT_FACE
    pad = (x1 - x0) // 2
    head = astronaut[max(0, y0 - pad) : y1 + pad, x0 - pad : x1 + pad]
    scale = face_px / (x1 - x0)
    head = np.asarray(
        Image.fromarray(head).resize(
            (round(head.shape[1] * scale), round(head.shape[0] * scale)), Image.Resampling.LANCZOS
        )
    )
    width, height = canvas
    image = np.full((height, width, 3), 128, np.uint8)
    boxes = []
    rng = np.random.default_rng(1)
    columns = int(np.ceil(np.sqrt(count * width / height)))
    cell_w, cell_h = width // columns, height // int(np.ceil(count / columns))
    for i in range(count):
        cx = (i % columns) * cell_w + int(rng.integers(0, max(1, cell_w - head.shape[1])))
        cy = (i // columns) * cell_h + int(rng.integers(0, max(1, cell_h - head.shape[0])))
        image[cy : cy + head.shape[0], cx : cx + head.shape[1]] = head
        fx, fy = cx + round(pad * scale), cy + round((y0 - max(0, y0 - pad)) * scale)
        boxes.append((fx, fy, fx + face_px, fy + round((y1 - y0) * scale)))
    return image, boxes


def _found(regions, boxes) -> int:
    return sum(any(overlaps(r.box, b, 0.3) for r in regions) for b in boxes)


def test_small_faces_in_a_large_photo_are_found_by_the_second_pass(astronaut_upright):
    # 2400 x 1600 (3.8 Mpx): the base pass sees it at 1/2 scale, where 16 px faces are 8 px;
    # the second pass sees it at full size.
    image, boxes = _crowd(astronaut_upright, 16, (2400, 1600), 8)
    detector = FaceDetector()
    assert len(detector.scales(2400, 1600)) == 2
    found = _found(detector.detect(image), boxes)
    base_only = _found(FaceDetector(fine_pixels=1).detect(image), boxes)
    assert found >= 7, f"multi-scale found {found} of 8"
    assert base_only <= 2


def test_tiny_faces_in_a_thumbnail_are_found_enlarged(astronaut_upright):
    image, boxes = _crowd(astronaut_upright, 14, (160, 120), 4)
    detector = FaceDetector()
    assert detector.scales(160, 120) == [1.0, 2.0]
    assert _found(detector.detect(image), boxes) >= 3
