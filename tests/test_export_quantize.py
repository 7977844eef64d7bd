"""int8 static QDQ: calibration images, and the accuracy int8 costs on a fitted tiny model."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
import torch

from monocle.evaluation import evaluate
from monocle.export import OnnxBackend, calibration_images, export_onnx
from monocle.infer import Predictor
from monocle.io import write_image
from monocle.models import create_model

H, W = 64, 96


def ramps(n: int, seed: int) -> list[dict]:
    """Tilted floors, 1 to ~7 m, whose brightness is ~1/depth: depth is readable from pixels."""
    rng = np.random.default_rng(seed)
    items = []
    for i in range(n):
        depth = 1 + 3 * rng.uniform(0.5, 2.0) * np.linspace(0, 1, H)[:, None] * np.ones((1, W))
        depth = (depth if rng.random() < 0.5 else depth[::-1]).astype(np.float32)
        rgb = np.clip(255 / depth[..., None] * rng.uniform(0.9, 1.0, 3), 0, 255).astype(np.uint8)
        items.append({"rgb": rgb, "image": torch.from_numpy(rgb.transpose(2, 0, 1).copy()),
                      "depth": torch.from_numpy(depth.copy())[None],
                      "valid": torch.ones(1, H, W, dtype=torch.bool), "K": torch.eye(3),
                      "meta": {"id": str(i)}})  # fmt: skip
    return items


def fitted_fastdepth() -> torch.nn.Module:
    """A FastDepth whose depth head is trained, in closed form, on 32 ramps: ridge regression of
    the pre-sigmoid target on the (frozen, random-weight) decoder features. Seconds, not the
    minutes gradient training of the depthwise encoder takes on 2 CPU cores."""
    torch.manual_seed(0)
    model = create_model("fastdepth", input_size=(H, W), decoder_channels=(64, 32, 32, 32, 32))
    model.eval()
    train = ramps(32, seed=0)
    features = []
    hook = model.heads.register_forward_hook(lambda module, args, out: features.append(args[0]))
    with torch.no_grad():
        model(torch.stack([item["image"] for item in train]).float() / 255)
    hook.remove()
    cfg = model.pretrained_cfg
    depth = torch.stack([item["depth"] for item in train])
    fraction = ((depth - cfg.min_depth) / (cfg.max_depth - cfg.min_depth)).clamp(1e-4, 1 - 1e-4)
    target = torch.logit(fraction).reshape(-1, 1).double()
    x = features[0].permute(0, 2, 3, 1).reshape(target.shape[0], -1).double()
    x = torch.cat([x, torch.ones_like(x[:, :1])], dim=1)
    # Ridge, not plain least squares: the random decoder's features are nearly collinear, and
    # float32 noise between runs made lstsq's solution swing (a flaky test).
    gram = x.T @ x
    ridge = 1e-4 * gram.diagonal().mean() * torch.eye(gram.shape[0], dtype=gram.dtype)
    solution = torch.linalg.solve(gram + ridge, x.T @ target).float()
    with torch.no_grad():
        model.heads.depth.weight.copy_(solution[:-1].reshape(1, -1, 1, 1))
        model.heads.depth.bias.copy_(solution[-1])
    return model


def test_int8_costs_at_most_one_point_of_delta1(tmp_path):
    model = fitted_fastdepth()
    calibration = tmp_path / "calibration"
    for i, item in enumerate(ramps(8, seed=2)):
        write_image(calibration / f"{i}.png", item["rgb"])
    fp32 = export_onnx(model, tmp_path / "fp32.onnx")
    int8 = export_onnx(model, tmp_path / "int8.onnx", precision="int8", calibration=calibration)
    nodes = [node.op_type for node in onnx.load(str(int8)).graph.node]
    assert nodes.count("QuantizeLinear") > 10 and nodes.count("DequantizeLinear") > 10
    assert int8.stat().st_size < 0.4 * fp32.stat().st_size
    test = ramps(8, seed=1)
    scores = {
        name: evaluate(Predictor(OnnxBackend(path)), test).summary()
        for name, path in (("fp32", fp32), ("int8", int8))
    }
    assert scores["fp32"]["delta1"] > 0.7  # the model learned depth: the comparison means something
    assert scores["fp32"]["delta1"] - scores["int8"]["delta1"] <= 0.01
    assert scores["int8"]["abs_rel"] <= scores["fp32"]["abs_rel"] + 0.01


def test_calibration_images_from_folder_are_centre_cropped_pixels(tmp_path):
    wide = np.zeros((4, 8, 3), np.uint8)
    wide[:, :, 0] = np.arange(8) * 10  # column index in red
    write_image(tmp_path / "a.png", wide)
    (tmp_path / "readme.txt").write_text("skipped: not an image")
    (image,) = calibration_images(tmp_path, 5, (4, 4))
    assert image.dtype == np.uint8 and image.shape == (3, 4, 4)
    np.testing.assert_array_equal(image[0], np.tile([20, 30, 40, 50], (4, 1)))  # columns 2..5
    images = [np.full((10, 10, 3), v, np.uint8) for v in (1, 2, 3)]
    assert [int(i.max()) for i in calibration_images(images, 2, (5, 5))] == [1, 2]
    with pytest.raises(ValueError, match="at least one image"):
        calibration_images(images, 0, (5, 5))


def test_synth_calibration_renders_at_the_input_size():
    (image,) = calibration_images(None, 1, (48, 64))
    assert image.dtype == np.uint8 and image.shape == (3, 48, 64) and image.std() > 5


def test_int8_activation_ranges_ignore_rare_outliers(tmp_path):
    """One bright pixel in 16 calibration images must not set the range of every value: the
    input's quantisation scale follows the bulk of the pixels (0..20), not the outlier (255)."""
    from onnx import TensorProto, helper, numpy_helper

    from monocle.export.quantize import quantize_int8

    weight = numpy_helper.from_array(np.ones((1, 3, 1, 1), np.float32), "weight")
    graph = helper.make_graph(
        [
            helper.make_node("Cast", ["image"], ["pixels"], to=TensorProto.FLOAT),
            helper.make_node("Conv", ["pixels", "weight"], ["depth"]),
        ],
        "sum_of_channels",
        [helper.make_tensor_value_info("image", TensorProto.UINT8, [1, 3, 128, 160])],
        [helper.make_tensor_value_info("depth", TensorProto.FLOAT, [1, 1, 128, 160])],
        initializer=[weight],
    )
    source = tmp_path / "fp32.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), source)
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 21, (3, 128, 160), dtype=np.uint8) for _ in range(16)]
    images[0][:, 0, 0] = 255
    quantized = onnx.load(quantize_int8(source, tmp_path / "int8.onnx", images))
    scales = {t.name: numpy_helper.to_array(t) for t in quantized.graph.initializer}
    (node,) = [n for n in quantized.graph.node
               if n.op_type == "QuantizeLinear" and n.input[0] == "pixels"]  # fmt: skip
    scale = float(scales[node.input[1]])
    assert 20 / 255 * 0.9 < scale < 20 / 255 * 1.2  # MinMax would give 255 / 255 = 1
