import dataclasses
import json
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from monocle import DepthMap
from monocle.checkpoint import (
    CheckpointError,
    average_checkpoints,
    load_checkpoint,
    save_checkpoint,
)
from monocle.cli.main import main
from monocle.evaluation import MeanLogDepthBaseline, evaluate
from monocle.infer import Predictor, load, loading, working_size
from monocle.io import write_image
from monocle.models import create_model
from monocle.train import load_recipe, recipe_from_dict

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    torch.manual_seed(0)
    model = create_model("unet_r18")
    path = save_checkpoint(
        tmp_path_factory.mktemp("ckpt") / "tiny", model, model_name="unet_r18", info={"k": 1}
    )
    return path, model


def test_checkpoint_round_trip_is_exact(checkpoint):
    path, model = checkpoint
    loaded = load_checkpoint(path)
    for key, value in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value)
    assert loaded.pretrained_cfg == model.pretrained_cfg
    config = json.loads(path.with_suffix(".json").read_text())
    assert config["model"] == "unet_r18" and config["info"] == {"k": 1}


def test_bad_checkpoints_are_refused_without_unpickling(checkpoint, tmp_path):
    path, model = checkpoint
    pickled = tmp_path / "model.pth"
    pickled.write_bytes(pickle.dumps({"weights": 1}))
    with pytest.raises(CheckpointError, match="never unpickles"):
        load_checkpoint(pickled)
    truncated = tmp_path / "cut.safetensors"
    truncated.write_bytes(path.read_bytes()[:1000])
    (tmp_path / "cut.json").write_text(path.with_suffix(".json").read_text())
    with pytest.raises(CheckpointError, match="truncated"):
        load_checkpoint(truncated)
    other = save_checkpoint(tmp_path / "other", model, model_name="fastdepth")
    with pytest.raises(CheckpointError, match="do not fit architecture 'fastdepth'"):
        load_checkpoint(other)
    with pytest.raises(CheckpointError, match=r"NAME\.safetensors \+ NAME\.json"):
        load_checkpoint(tmp_path / "nothing.safetensors")


def test_average_checkpoints_is_the_mean_and_refuses_mixed_architectures(checkpoint, tmp_path):
    path, model = checkpoint
    torch.manual_seed(1)
    other_model = create_model("unet_r18")
    other = save_checkpoint(tmp_path / "b", other_model, model_name="unet_r18", info={"k": 2})
    # Listing a checkpoint twice weighs it double: (2a + b) / 3.
    assert main(["average", str(path), str(path), str(other), "--out", str(tmp_path / "m")]) == 0
    averaged = load_checkpoint(tmp_path / "m")
    a, b = model.state_dict(), other_model.state_dict()
    for key, value in averaged.state_dict().items():
        if value.is_floating_point():
            torch.testing.assert_close(value, (2 * a[key] + b[key]) / 3)
        else:  # BatchNorm's step counter is not averaged
            assert torch.equal(value, a[key])
    assert not torch.equal(a["heads.depth.weight"], b["heads.depth.weight"])
    info = json.loads((tmp_path / "m.json").read_text())["info"]["averaged_from"]
    assert [s["path"] for s in info] == [str(path), str(path), str(other)]
    assert [s["info"] for s in info] == [{"k": 1}, {"k": 1}, {"k": 2}]

    disparity = {"output_kind": "disparity"}
    foreign = save_checkpoint(
        tmp_path / "c", create_model("unet_r18", **disparity), model_name="unet_r18",
        overrides=disparity,
    )  # fmt: skip
    with pytest.raises(CheckpointError, match="only checkpoints of one architecture"):
        average_checkpoints([path, foreign], tmp_path / "n")
    with pytest.raises(ValueError, match="at least two"):
        average_checkpoints([path], tmp_path / "n")
    with pytest.raises(ValueError, match="one of the checkpoints to average"):
        average_checkpoints([path, other], other.with_suffix(".json"))


def test_global_context_grows_a_plain_fastdepth_without_changing_its_depth(tmp_path):
    small = {"input_size": (64, 64), "decoder_channels": (32, 16, 16, 16, 16)}
    torch.manual_seed(0)
    plain = create_model("fastdepth", **small)
    start = save_checkpoint(tmp_path / "start", plain, model_name="fastdepth", overrides=small)
    grown = load_checkpoint(start, global_context=True)
    again = load_checkpoint(start, global_context=True)
    image = torch.rand(2, 3, 64, 96)
    with torch.no_grad():
        assert torch.equal(grown(image)["depth"], plain.eval()(image)["depth"])
    context = {k: v for k, v in grown.state_dict().items() if k.startswith("context.")}
    assert context and all(torch.equal(v, again.state_dict()[k]) for k, v in context.items())

    # A run trained from the grown start averages with the plain start: the start is grown first.
    trained = load_checkpoint(start, global_context=True)
    with torch.no_grad():
        for parameter in trained.context.parameters():
            parameter.add_(0.5)
        assert not torch.allclose(trained(image)["depth"], grown(image)["depth"])
    run = save_checkpoint(
        tmp_path / "run", trained, model_name="fastdepth",
        overrides={**small, "global_context": True},
    )  # fmt: skip
    soup = load_checkpoint(average_checkpoints([start, run], tmp_path / "soup"))
    for key, value in soup.state_dict().items():
        if value.is_floating_point():
            mean = (grown.state_dict()[key] + trained.state_dict()[key]) / 2
            torch.testing.assert_close(value, mean)

    # Without the override, weights that lack the block are still a foreign checkpoint.
    claimed = tmp_path / "claimed.json"
    claimed.write_text((tmp_path / "run.json").read_text())
    (tmp_path / "claimed.safetensors").write_bytes(start.read_bytes())
    with pytest.raises(CheckpointError, match="missing"):
        load_checkpoint(claimed)


def test_working_size_keeps_aspect_and_the_trained_short_side():
    assert working_size((3000, 4000), (240, 320), 32) == (256, 320)
    assert working_size((4000, 3000), (240, 320), 32) == (320, 256)
    assert working_size((240, 320), (240, 320), 16) == (240, 320)
    # 16:9 keeps its 128 rows: 128 x 227.6 -> 128x224 (a fixed pixel count gave 96x192).
    assert working_size((1080, 1920), (128, 160), 32) == (128, 224)
    assert working_size((500, 741), (128, 160), 32) == (128, 192)
    # Wider frames are held to 1.5x the trained pixel count: KITTI's 375x1242 at
    # sqrt(1.5 * 20480 / 465750) = 0.2568 is 96.3 x 319.0, and a strip of 10x4000 at 0.8764.
    assert working_size((375, 1242), (128, 160), 32) == (96, 320)
    assert working_size((10, 4000), (128, 160), 32) == (32, 3520)
    assert working_size((1, 1), (128, 160), 32) == (128, 128)


def test_predictor_any_size_batch_equals_single(checkpoint):
    predictor = load(checkpoint[0], device="cpu")
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 255, shape, np.uint8) for shape in ((61, 83, 3), (40, 30, 3))]
    K = np.array([[60, 0, 41], [0, 60, 30], [0, 0, 1]], np.float32)
    single = predictor.infer(images[0], K=K)
    assert isinstance(single, DepthMap) and single.kind == "metric" and single.shape == (61, 83)
    assert single.valid.all() and np.allclose(single.K, K)
    batch = predictor.infer_batch(images)
    assert [d.shape for d in batch] == [(61, 83), (40, 30)]
    np.testing.assert_allclose(batch[0].values, single.values, rtol=1e-5)
    bf16 = Predictor(predictor.model, device="cpu", precision="bf16").infer(images[0])
    np.testing.assert_allclose(bf16.values, single.values, rtol=0.1)
    with pytest.raises(ValueError, match="precision 'fp8' is unknown"):
        Predictor(predictor.model, precision="fp8")


def test_canonical_focal_model_reads_its_scale_from_K(checkpoint, tmp_path):
    path, model = checkpoint
    canonical = load_checkpoint(path, canonical_focal=100.0)
    assert canonical.pretrained_cfg.canonical_focal == 100.0
    plain, scaled = Predictor(model, device="cpu"), Predictor(canonical, device="cpu")
    image = np.random.default_rng(1).integers(0, 255, (120, 160, 3), np.uint8)
    # unet_r18 works at a short side of 240, rounded to its multiple of 32: 2.133x tall, 2x wide.
    assert plain.working_size(image.shape[:2]) == (256, 320)
    # A focal of 100 px at the working size is the canonical camera: no change.
    f = 100.0 / np.sqrt(256 / 120 * 320 / 160)
    K = np.array([[f, 0, 80], [0, f, 60], [0, 0, 1]], np.float32)
    reference = plain.infer(image).values
    np.testing.assert_allclose(scaled.infer(image, K=K).values, reference, rtol=1e-6)
    np.testing.assert_allclose(scaled.infer(image).values, reference, rtol=1e-6)
    # Twice the focal (a longer lens seeing the same picture): everything twice as far.
    np.testing.assert_allclose(scaled.infer(image, K=K * [[2], [2], [1]]).values, 2 * reference,
                               rtol=1e-6)  # fmt: skip
    # The checkpoint's architecture must agree with a recipe that starts from it.
    from monocle.train import load_recipe
    from monocle.train.module import DepthModule

    recipe = load_recipe(overrides=[f"model.init_weights={path}", "model.name=fastdepth"])
    with pytest.raises(ValueError, match=r"'unet_r18' model but model\.name is 'fastdepth'"):
        DepthModule(recipe)


def test_a_stretched_working_size_reads_the_geometric_mean_focal(checkpoint):
    path, model = checkpoint
    plain = Predictor(model, device="cpu")
    scaled = Predictor(load_checkpoint(path, canonical_focal=100.0), device="cpu")
    image = np.random.default_rng(2).integers(0, 255, (100, 160, 3), np.uint8)
    # The multiple of 32 stretches the picture 2.56x vertically and 2.4x horizontally.
    assert plain.working_size(image.shape[:2]) == (256, 384)
    K = np.array([[50.0, 0, 80], [0, 50.0, 50], [0, 0, 1]], np.float32)
    # sqrt(50 * 2.4 * 50 * 2.56) = 123.935 px against the canonical 100 (not 50 * 2.4 = 120).
    np.testing.assert_allclose(
        scaled.infer(image, K=K).values, 1.23935 * plain.infer(image).values, rtol=1e-4
    )


class ColumnBackend:
    """A stand-in network: the output at column x is ``1 + x`` (or, with ``by_content``, a
    function of the pixel values there, which mirroring the image mirrors)."""

    fixed_size = None
    device = torch.device("cpu")

    def __init__(self, output_kind: str, by_content: bool = False):
        self.cfg = dataclasses.replace(
            create_model("unet_r18").pretrained_cfg, output_kind=output_kind
        )
        self.by_content = by_content

    def __call__(self, pixels):
        if self.by_content:
            return 1.0 + pixels.float().mean(dim=1, keepdim=True) / 255
        batch, _, height, width = pixels.shape
        return (1.0 + torch.arange(width, dtype=torch.float32)).expand(batch, 1, height, width)


def test_flip_averages_with_the_mirrored_prediction():
    height, width = ColumnBackend("metric").cfg.input_size  # no resampling at this size
    image = np.random.default_rng(2).integers(0, 255, (height, width, 3), np.uint8)
    x = np.arange(width, dtype=np.float64)
    # Depth averages in log space: sqrt((1 + x) * (1 + (W - 1 - x))); disparity plainly.
    depth = Predictor(ColumnBackend("metric"), flip=True).infer(image).values
    np.testing.assert_allclose(depth[0], np.sqrt((1 + x) * (width - x)), rtol=1e-6)
    disparity = Predictor(ColumnBackend("disparity"), flip=True).infer(image).values
    np.testing.assert_allclose(disparity, (width + 1) / 2, rtol=1e-6)
    # A mirror-equivariant network gives the same answer with and without the flip.
    content = ColumnBackend("metric", by_content=True)
    np.testing.assert_allclose(
        Predictor(content, flip=True).infer(image).values,
        Predictor(content).infer(image).values,
        rtol=1e-6,
    )


def test_load_names_the_known_models(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match=r"shipped models: default, fast; architectures: .*r18"):
        load("no_such_model")
    with pytest.raises(ValueError, match="has no trained weights"):
        load("dpt_small")
    monkeypatch.setattr(loading, "WEIGHTS_DIR", tmp_path)
    with pytest.raises(ValueError, match=r"monocle train --config configs/fast\.yaml"):
        load("fast")


def _dataset(n=3):
    items = []
    for i in range(n):
        depth = torch.full((1, 8, 10), 2.0 + i)
        meta = {"id": f"s{i}", "category": "ab"[i % 2]}
        items.append(
            {"image": torch.rand(3, 8, 10), "depth": depth, "valid": depth > 0,
             "K": torch.eye(3), "meta": meta}
        )  # fmt: skip
    return items


def test_evaluate_matches_hand_numbers():
    # The baseline fitted on depths 2, 3, 4 predicts exp(mean(log)) = 24 ** (1/3) everywhere.
    items = _dataset()
    baseline = MeanLogDepthBaseline.fit(items)
    accumulator = evaluate(baseline, items, protocol="synth")
    pred = 24 ** (1 / 3)
    rows = accumulator.rows
    assert [r["id"] for r in rows] == ["s0", "s1", "s2"]
    for row, gt in zip(rows, (2.0, 3.0, 4.0), strict=True):
        assert row["abs_rel"] == pytest.approx(abs(pred - gt) / gt, rel=1e-5)
        assert row["rmse"] == pytest.approx(abs(pred - gt), rel=1e-5)
    by_category = accumulator.summary(group_by="category")
    assert by_category["a"]["n_images"] == 2 and by_category["b"]["n_images"] == 1
    aligned = evaluate(baseline, items, align="median")
    assert all(r["abs_rel"] == pytest.approx(0, abs=1e-6) for r in aligned.rows)
    # An all-sky image (no valid ground truth) gives a skipped row, aligned or not.
    sky = dict(items[0], valid=torch.zeros(1, 8, 10, dtype=torch.bool), meta={"id": "sky"})
    for align in ("none", "median"):
        accumulator = evaluate(baseline, [*items, sky], align=align)
        assert accumulator.rows[-1]["n_valid"] == 0
        assert accumulator.summary()["n_images"] == 3


def test_predict_writes_every_format_and_never_overwrites(checkpoint, tmp_path, capsys):
    rng = np.random.default_rng(1)
    images = tmp_path / "in"
    for name in ("a", "b"):
        write_image(images / f"{name}.png", rng.integers(0, 255, (30, 40, 3), np.uint8))
    (images / "broken.jpg").write_bytes(b"\xff\xd8\xff not really a jpeg")
    out = tmp_path / "out"
    code = main(["predict", str(images), "--out", str(out), "--model", str(checkpoint[0]),
                 "--format", "png16,npz,color,ply"])  # fmt: skip
    assert code == 1 and "skipped" in capsys.readouterr().err
    predictor = load(checkpoint[0], device="cpu")
    expected = predictor.infer(images / "a.png")
    for suffix in (".png", ".npz"):
        back = DepthMap.load(out / f"a{suffix}")
        assert back.kind == "metric" and back.unit == "m"
        step = np.ptp(expected.values) / 65534 if suffix == ".png" else 0
        np.testing.assert_allclose(back.values, expected.values, atol=step / 2 + 1e-6)
    assert (out / "a.color.png").is_file() and (out / "b.ply").is_file()
    before = (images / "a.png").read_bytes()
    assert main(["predict", str(images / "a.png"), "--out", str(images), "--model",
                 str(checkpoint[0]), "--format", "png16"]) == 1  # fmt: skip
    assert (images / "a.png").read_bytes() == before
    flipped = tmp_path / "flipped"
    assert main(["predict", str(images / "a.png"), "--out", str(flipped), "--model",
                 str(checkpoint[0]), "--format", "npz", "--flip"]) == 0  # fmt: skip
    expected = load(checkpoint[0], device="cpu", flip=True).infer(images / "a.png").values
    np.testing.assert_allclose(DepthMap.load(flipped / "a.npz").values, expected, rtol=1e-6)
    assert not np.allclose(expected, predictor.infer(images / "a.png").values, rtol=1e-3)


@pytest.mark.parametrize(
    ("name", "architecture", "stages"),
    [
        (
            "default",
            "sanet_mbv2",
            [
                f"default_stage{i}"
                for i in [*range(7, 17), 18, 19, 20, *range(23, 30), 31, 33, 34, 36, 37]
            ],
        ),
        (
            "fast",
            "fastdepth",
            [
                f"fast_stage{i}"
                for i in [*range(5, 17), 21, 23, 24, 25, 26, 27, *range(30, 34), 36, 38]
            ],
        ),
    ],
)
def test_shipped_models_load_and_predict_metric_depth_at_any_size(name, architecture, stages):
    weights = loading.shipped_weights(name)
    assert weights.stat().st_size < 25 * 2**20  # the budget per model
    predictor = load(name, device="cpu")
    cfg = predictor.cfg
    assert (cfg.architecture, cfg.output_kind, cfg.input_size) == (
        architecture,
        "log_depth",
        (128, 160),
    )
    assert cfg.canonical_focal == 120.0
    # The weights come from the recipes in configs/, key for key (the progress bar aside).
    info = json.loads(weights.with_suffix(".json").read_text())["info"]

    def recipes(info: dict) -> list[dict]:  # an average's sources may be averages themselves
        if "averaged_from" not in info:
            return [info["recipe"]]
        return [recipe for source in info["averaged_from"] for recipe in recipes(source["info"])]

    # Read back as recipes: keys added to recipes since a stage ran take their defaults.
    shipped = [recipe_from_dict(recipe).to_dict() for recipe in recipes(info)]
    documented = [load_recipe(ROOT / "configs" / f"{stage}.yaml").to_dict() for stage in stages]
    for recipe in shipped + documented:
        recipe["trainer"].pop("progress_bar")
    assert shipped == documented and shipped[0]["model"]["name"] == architecture
    depth = predictor.infer(np.full((90, 200, 3), 128, np.uint8))
    assert depth.values.shape == (90, 200) and depth.kind == "metric" and depth.unit == "m"
    assert np.isfinite(depth.values).all() and (depth.values > 0).all()
