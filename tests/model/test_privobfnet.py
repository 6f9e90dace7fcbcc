"""PrivObfNet: outputs of both models, mask weighting, inference, export-ready tracing."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from redactor.attributes import NUM_VISPR, mask_type_vector
from redactor.model import ImageModel, ModelArgs, PrivObfNet, normalise_cams
from redactor.model.privobfnet import mask_weights, profile_score

MASK_TYPES = tuple(mask_type_vector())
HUMAN = MASK_TYPES.index("human")  # a1_age_approx
TEXT = MASK_TYPES.index("text")  # a8_signature
NONE = MASK_TYPES.index("none")  # a0_safe


def tiny_model(**overrides: object) -> PrivObfNet:
    torch.manual_seed(0)
    values: dict[str, object] = {
        "backbone": "tiny",
        "num_classes": NUM_VISPR,
        "mask_types": MASK_TYPES,
    }
    values.update(overrides)
    return PrivObfNet(ModelArgs(**values))  # type: ignore[arg-type]


def test_training_forward_returns_outputs_of_both_models_and_no_loss() -> None:
    model = tiny_model()
    images, crops = torch.randn(2, 3, 64, 64), torch.randn(6, 3, 40, 40)
    out = model(images, crops=crops)
    image, crop = out["image"], out["crops"]
    assert image["cams"].shape == (2, NUM_VISPR, 8, 8)
    assert image["attention_logits"].shape == (2, NUM_VISPR)
    assert image["attribute_logits"].shape == (2, NUM_VISPR) and image["score"].shape == (2,)
    assert crop["cams"].shape == (6, NUM_VISPR, 5, 5)
    # Model-Cropped has only the CAM head; nothing in the outputs is a loss.
    assert set(crop) == {"cams", "attention", "attention_logits"}
    assert not any("loss" in key for key in (*image, *crop))
    # Separate weights: the two models are different networks.
    assert model.image.cam_head.weight.data_ptr() != model.cropped.cam_head.weight.data_ptr()


def test_ablation_switches_change_the_architecture() -> None:
    model = tiny_model(use_cropped=False, privacy_head=False, attribute_head=False)
    assert model.cropped is None and model.image.privacy_head is None
    out = model(torch.randn(1, 3, 32, 32))["image"]
    assert "score" not in out and "attribute_logits" not in out
    with pytest.raises(ValueError, match="without Model-Cropped"):
        model(torch.randn(1, 3, 32, 32), crops=torch.randn(1, 3, 16, 16))


def test_mask_weighting_follows_each_attributes_mask_type() -> None:
    model = tiny_model()
    images = torch.randn(1, 3, 64, 64)
    masks = torch.zeros(1, 2, 64, 64)
    masks[:, 0, :32] = 1.0  # human: the top half
    masks[:, 1, :, :32] = 1.0  # text: the left half
    out = model.image(images, masks)
    cams, attention = out["cams"], out["attention"]
    assert torch.equal(attention[0, NONE], cams[0, NONE])  # un-masked: the whole map
    assert torch.all(attention[0, HUMAN, 4:] == 0) and torch.equal(
        attention[0, HUMAN, :4], cams[0, HUMAN, :4]
    )
    assert torch.all(attention[0, TEXT, :, 4:] == 0) and torch.equal(
        attention[0, TEXT, :, :4], cams[0, TEXT, :, :4]
    )
    # Masked classes pool over their mask, un-masked ones over the whole map (+ class prior).
    logits, bias = out["attention_logits"][0], model.image.class_bias
    assert logits[HUMAN].item() == pytest.approx(
        (cams[0, HUMAN, :4].mean() + bias[HUMAN]).item(), abs=1e-5
    )
    assert logits[NONE].item() == pytest.approx(
        (cams[0, NONE].mean() + bias[NONE]).item(), abs=1e-5
    )
    empty = model.image(images, torch.zeros(1, 2, 64, 64))["attention_logits"][0]
    assert empty[TEXT].item() == pytest.approx(bias[TEXT].item())  # no text: the prior alone
    # Area-averaged: a cell half covered weighs 0.5.
    half = torch.zeros(1, 2, 16, 16)
    half[:, 0, :, :4] = 1.0
    weights = mask_weights(half, torch.tensor([1]), (2, 2))
    assert weights[0, 0].tolist() == [[0.5, 0.0], [0.5, 0.0]]


def test_inference_dict_and_export_module_agree() -> None:
    model = tiny_model().eval()
    images = torch.randn(3, 3, 64, 64)
    with torch.no_grad():
        result = model.infer(images)
        score, attributes, cams = model.inference_module()(images)
    assert result["score"].shape == (3,) and result["attributes"].shape == (3, NUM_VISPR)
    assert result["cams"].shape == (3, NUM_VISPR, 8, 8)
    assert torch.allclose(result["score"], score) and torch.allclose(
        result["attributes"], attributes
    )
    assert torch.allclose(result["cams"], cams)
    assert float(cams.min()) >= 0 and float(cams.max()) <= 1 + 1e-6
    assert ImageModel.output_names == ("score", "attributes", "cams")


def test_inference_module_traces_and_exports_to_onnx(tmp_path) -> None:
    onnxruntime = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    model = tiny_model(privacy_head=False, score_sensitivity=tuple(np.linspace(0, 1, NUM_VISPR)))
    module = model.eval().inference_module().eval()
    example = torch.randn(2, 3, 64, 64)
    traced = torch.jit.trace(module, example)
    other = torch.randn(4, 3, 96, 96)  # another batch and size: no shape was baked in
    for a, b in zip(traced(other), module(other)):
        assert torch.allclose(a, b, atol=1e-5)
    path = tmp_path / "image_model.onnx"
    torch.onnx.export(
        module,
        (example,),
        str(path),
        input_names=["images"],
        output_names=list(module.output_names),
        dynamic_axes={"images": {0: "batch", 2: "height", 3: "width"}},
        dynamo=False,
    )
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    outputs = session.run(None, {"images": other.numpy()})
    for got, want in zip(outputs, module(other)):
        np.testing.assert_allclose(got, want.detach().numpy(), atol=1e-4)


def test_score_without_privacy_head_uses_the_profile_rule() -> None:
    probabilities = torch.tensor([[0.5, 1.0, 0.0], [0.0, 0.0, 0.0]])
    sensitivity = torch.tensor([0.4, 0.5, 1.0])
    # weighted = (0.2, 0.5, 0): max 0.5, noisy-or 1 - 0.8 * 0.5 = 0.6, mix 0.55.
    assert profile_score(probabilities, sensitivity, "max").tolist() == pytest.approx([0.5, 0])
    assert profile_score(probabilities, sensitivity, "noisy_or").tolist() == pytest.approx([0.6, 0])
    assert profile_score(probabilities, sensitivity, "mix").tolist() == pytest.approx([0.55, 0])
    with pytest.raises(ValueError, match="score rule"):
        ModelArgs("tiny", 3, ("none",) * 3, score_rule="mean")


def test_normalised_cams_are_min_max_per_map() -> None:
    cams = torch.tensor([[[[2.0, -1.0], [1.0, 0.0]]], [[[-3.0, -1.0], [-2.0, -1.0]]]])
    out = normalise_cams(cams)
    assert out[0, 0].flatten().tolist() == pytest.approx([1.0, 0.0, 2 / 3, 1 / 3], abs=1e-4)
    # A map negative everywhere still peaks where it is highest.
    assert out[1, 0].flatten().tolist() == pytest.approx([0.0, 1.0, 0.5, 1.0], abs=1e-4)
