import csv
import json
from pathlib import Path

import lightning as L
import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from monocle.io import write_depth, write_image
from monocle.train import RecipeError, load_recipe, train

H, W = 48, 64


def write_synth_folder(root: Path, n: int = 16) -> Path:
    """A tiny dataset in monocle's synthetic folder format: tilted floors, brightness ~ 1/depth."""
    rng = np.random.default_rng(0)
    K = [[50.0, 0, 31.5], [0, 50.0, 23.5], [0, 0, 1]]
    manifest = {"format": "monocle-synth", "version": 1, "preset": "indoor", "height": H,
                "width": W, "seed": 0, "count": n, "classes": {}}  # fmt: skip
    root.mkdir(parents=True, exist_ok=True)
    (root / "monocle_synth.json").write_text(json.dumps(manifest))
    for i in range(n):
        ramp = np.linspace(0, 4, H)[:, None] * np.ones((1, W)) * rng.uniform(0.5, 1.5)
        depth = (1 + ramp).astype(np.float32)
        rgb = np.clip(255 / depth[..., None] * np.array([1, 0.8, 0.6]), 0, 255).astype(np.uint8)
        write_image(root / f"{i:06d}.rgb.png", rgb)
        write_depth(root / f"{i:06d}.depth.png", depth, kind="metric", unit="m", K=K)
        sample = {"K": K, "pose": np.eye(4).tolist(), "preset": "indoor", "seed": i,
                  "category": None, "baseline": None, "max_depth": 10.0}  # fmt: skip
        (root / f"{i:06d}.json").write_text(json.dumps(sample))
    return root


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return write_synth_folder(tmp_path_factory.mktemp("synth"))


def recipe_for(folder: Path, out: Path, name: str, *extra: str):
    spec = f"{{type: synth_folder, root: {folder}, extras: []}}"
    return load_recipe(
        None,
        [
            f"out_dir={out}",
            f"name={name}",
            "model.name=unet_r18",
            f"data.train=[{{spec: {spec}}}]",
            "data.batch_size=4",
            "data.workers=0",
            "trainer.max_epochs=2",
            "trainer.progress_bar=false",
            "trainer.checkpoint_every_n_steps=1",
            "losses=[{name: berhu}, {name: gfrl, args: {grid: [4, 4]}, start_epoch: 1}]",
            *extra,
        ],
    )


def test_training_reduces_the_loss_and_writes_checkpoints(folder, tmp_path):
    recipe = recipe_for(
        folder, tmp_path, "fit", f"data.val=[{{spec: {{type: synth_folder, root: {folder}, "
        "extras: []}}]", "trainer.max_epochs=3", "optim.lr=2e-3",
    )  # fmt: skip
    result = train(recipe)
    with open(result.run_dir / "logs" / "version_0" / "metrics.csv") as f:
        abs_rel = [float(row["val/abs_rel"]) for row in csv.DictReader(f) if row["val/abs_rel"]]
    assert len(abs_rel) == 3 and abs_rel[-1] < abs_rel[0]
    config = json.loads((result.run_dir / "best.json").read_text())
    assert config["model"] == "unet_r18"
    assert config["info"]["val_metrics"]["val/abs_rel"] == pytest.approx(min(abs_rel), rel=1e-6)
    assert (result.run_dir / "resume" / "last.ckpt").is_file()


class _Crash(L.Callback):
    def on_train_batch_end(self, trainer, *args):
        if trainer.global_step == 6:  # mid-way through epoch 2 of 4 batches each
            raise RuntimeError("simulated crash")


def test_crashed_run_resumes_to_the_same_weights(folder, tmp_path):
    train(recipe_for(folder, tmp_path, "straight"))
    with pytest.raises(RuntimeError, match="simulated crash"):
        train(recipe_for(folder, tmp_path, "crashed"), callbacks_extra=[_Crash()])
    train(recipe_for(folder, tmp_path, "crashed"))
    straight = load_file(tmp_path / "straight" / "last.safetensors")
    resumed = load_file(tmp_path / "crashed" / "last.safetensors")
    assert straight.keys() == resumed.keys()
    for key in straight:
        torch.testing.assert_close(resumed[key], straight[key], rtol=0, atol=0)


class _SaveRankWeights(L.Callback):
    def __init__(self, out: Path) -> None:
        self.out = out

    def on_train_end(self, trainer, module):
        # DDP keeps parameters in lockstep; BatchNorm buffers are per rank between the
        # broadcasts from rank 0 at each forward, so only parameters are compared.
        state = {k: v.detach().contiguous() for k, v in module.model.named_parameters()}
        save_file(state, str(self.out / f"rank{trainer.global_rank}.safetensors"))


def test_two_process_ddp_on_cpu_keeps_ranks_equal(folder, tmp_path):
    recipe = recipe_for(
        folder, tmp_path, "ddp", "trainer.devices=2", "trainer.accelerator=cpu",
        "trainer.strategy=ddp_spawn", "trainer.max_epochs=1",
    )  # fmt: skip
    train(recipe, callbacks_extra=[_SaveRankWeights(tmp_path)])
    rank0 = load_file(tmp_path / "rank0.safetensors")
    rank1 = load_file(tmp_path / "rank1.safetensors")
    initial = recipe_for(folder, tmp_path, "init")
    for key in rank0:
        torch.testing.assert_close(rank1[key], rank0[key], rtol=0, atol=0)
    from monocle.models import create_model

    L.seed_everything(initial.seed, verbose=False)
    fresh = create_model("unet_r18").state_dict()
    changed = any(not torch.equal(fresh[k], rank0[k]) for k in rank0)
    assert changed, "DDP training did not update the weights"


def test_recipe_errors_name_the_key_and_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("optim:\n  lrr: 0.1\n")
    with pytest.raises(RecipeError, match=r"bad.yaml: unknown key 'optim.lrr'; valid keys"):
        load_recipe(path)
    path.write_text("trainer:\n  max_epochs: many\n")
    with pytest.raises(RecipeError, match=r"'trainer\.max_epochs' must be int"):
        load_recipe(path)
    with pytest.raises(RecipeError, match="recipe file not found"):
        load_recipe(tmp_path / "missing.yaml")
    recipe = load_recipe(None, ["optim.lr=1e-3", "losses=[{name: berhu, weight: 2}]"])
    assert recipe.optim.lr == 1e-3 and recipe.losses[0].weight == 2.0
    with pytest.raises(ValueError, match="unknown loss 'berhoo'"):
        train(load_recipe(None, ["losses=[{name: berhoo}]", f"out_dir={tmp_path}"]))


def test_recipe_base_merges_mappings_and_replaces_lists(tmp_path):
    (tmp_path / "stage1.yaml").write_text(
        "name: one\nseed: 4\noptim: {name: sgd, lr: 0.1}\n"
        "losses: [{name: berhu}, {name: normal, start_epoch: 2}]\n"
    )
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "stage2.yaml").write_text(
        "base: ../stage1.yaml\nname: two\noptim: {lr: 0.01}\nlosses: [{name: silog}]\n"
    )
    recipe = load_recipe(tmp_path / "nested" / "stage2.yaml", ["optim.lr=0.5"])
    assert (recipe.name, recipe.seed) == ("two", 4)
    assert (recipe.optim.name, recipe.optim.lr) == ("sgd", 0.5)
    assert [term.name for term in recipe.losses] == ["silog"]
    # The base itself is untouched by the stage built on it.
    assert load_recipe(tmp_path / "stage1.yaml").optim.lr == 0.1

    (tmp_path / "a.yaml").write_text("base: b.yaml\n")
    (tmp_path / "b.yaml").write_text("base: a.yaml\n")
    with pytest.raises(RecipeError, match="circular 'base' chain"):
        load_recipe(tmp_path / "a.yaml")
    (tmp_path / "orphan.yaml").write_text("base: gone.yaml\n")
    with pytest.raises(RecipeError, match=r"gone.yaml \(the base of .*orphan.yaml\): recipe file"):
        load_recipe(tmp_path / "orphan.yaml")
    (tmp_path / "list.yaml").write_text("- 1\n")
    with pytest.raises(RecipeError, match="a recipe must be a mapping"):
        load_recipe(tmp_path / "list.yaml")
    # A typo in a base is reported with the chain of files it may sit in.
    (tmp_path / "stage1.yaml").write_text("name: one\noptim: {lrr: 0.1}\n")
    with pytest.raises(
        RecipeError, match=r"stage2.yaml \(with its bases .*stage1.yaml\): unknown key 'optim.lrr'"
    ):
        load_recipe(tmp_path / "nested" / "stage2.yaml")


def test_canonical_focal_model_trains_against_each_cameras_depth(folder, tmp_path):
    from monocle.train.module import DepthModule, camera_outputs

    overrides = "model.overrides={output_kind: log_depth, canonical_focal: 100.0}"
    recipe = recipe_for(folder, tmp_path, "canonical", "model.name=fastdepth", overrides)
    module = DepthModule(recipe).eval()
    image = torch.rand(2, 3, H, W)
    K = torch.tensor([[[50.0, 0, 31.5], [0, 50.0, 23.5], [0, 0, 1]]]).repeat(2, 1, 1)
    K[1, :2] *= 3  # the second camera has three times the focal length
    with torch.no_grad():
        raw = module.model(image)
        seen = camera_outputs(module.model, image, K)
    torch.testing.assert_close(seen["depth"][0], raw["depth"][0] * 0.5)
    torch.testing.assert_close(seen["depth"][1], raw["depth"][1] * 1.5)
    torch.testing.assert_close(seen["log_depth"].exp(), seen["depth"])
    # Training end to end: the checkpoint keeps the canonical focal for every predictor.
    result = train(recipe)
    config = json.loads((result.run_dir / "last.json").read_text())
    assert config["pretrained_cfg"]["canonical_focal"] == 100.0


def test_teacher_terms_target_the_teacher_on_every_pixel():
    from monocle.losses import berhu_loss
    from monocle.train.objective import DepthObjective
    from monocle.train.recipe import LossTerm

    pred = torch.rand(2, 1, 8, 8) + 1
    teacher = torch.rand(2, 1, 8, 8) + 1
    batch = {"depth": torch.zeros(2, 1, 8, 8), "valid": torch.zeros(2, 1, 8, 8, dtype=torch.bool)}
    objective = DepthObjective([LossTerm("berhu"), LossTerm("berhu", weight=0.5, target="teacher")])
    total, terms = objective({"depth": pred}, batch, epoch=0, step=0, teacher=teacher)
    # No ground truth anywhere: only the teacher term counts, over all 128 pixels.
    expected = berhu_loss(pred, teacher, torch.ones_like(pred))
    assert float(terms["berhu"]) == 0.0 and float(expected) > 0
    torch.testing.assert_close(terms["berhu_teacher"], expected)
    torch.testing.assert_close(total, 0.5 * expected)
    _, same = objective({"depth": teacher}, batch, epoch=0, step=0, teacher=teacher)
    assert float(same["berhu_teacher"]) == 0.0
    with pytest.raises(ValueError, match="no teacher depth"):
        objective({"depth": pred}, batch, epoch=0, step=0)
    with pytest.raises(ValueError, match=r"target 'labels'.*ground_truth, teacher"):
        DepthObjective([LossTerm("berhu", target="labels")])


def test_distillation_pulls_the_student_towards_a_frozen_teacher(folder, tmp_path):
    from monocle.checkpoint import load_checkpoint
    from monocle.models import create_model
    from monocle.train.datamodule import DepthDataModule
    from monocle.train.module import DepthModule

    teacher_path = train(recipe_for(folder, tmp_path, "teacher", "trainer.max_epochs=3")).last
    teacher_weights = load_file(teacher_path)
    recipe = recipe_for(
        folder, tmp_path, "student", "model.name=fastdepth", f"teacher={teacher_path}",
        "losses=[{name: berhu, args: {log: true}, target: teacher}]", "trainer.max_epochs=8",
        "optim.lr=5e-3", "seed=5",
    )  # fmt: skip
    module = DepthModule(recipe)
    module.train()
    assert not module.teacher.training and module.model.training
    assert not any(p.requires_grad for p in module.teacher.parameters())
    L.seed_everything(recipe.seed, verbose=False)
    fresh = create_model("fastdepth").eval()
    result = train(recipe)
    student = load_checkpoint(result.last).eval()
    teacher = load_checkpoint(teacher_path).eval()
    with open(result.run_dir / "logs" / "version_0" / "metrics.csv") as f:
        rows = [r["train/berhu_teacher"] for r in csv.DictReader(f)]
    logged = [float(value) for value in rows if value]
    assert logged[-1] < 0.5 * logged[0]
    data = DepthDataModule(recipe)
    data.setup("fit")
    image = next(iter(data.train_dataloader()))["image"]
    with torch.no_grad():
        target = teacher(image)["depth"].log()
        before = (fresh(image)["depth"].log() - target).abs().mean()
        after = (student(image)["depth"].log() - target).abs().mean()
    assert after < 0.75 * before
    for key, value in load_file(teacher_path).items():  # the teacher stayed as it was
        torch.testing.assert_close(value, teacher_weights[key], rtol=0, atol=0)


def test_flipped_teacher_targets_the_mean_of_both_views(folder, tmp_path):
    from monocle.train.module import DepthModule

    teacher_path = train(recipe_for(folder, tmp_path, "teacher", "trainer.max_epochs=1")).last
    distill = (f"teacher={teacher_path}", "losses=[{name: berhu, target: teacher}]")
    plain = DepthModule(recipe_for(folder, tmp_path, "plain", *distill)).eval()
    flipped = DepthModule(recipe_for(folder, tmp_path, "flip", *distill, "teacher_flip=true"))
    image = torch.rand(2, 3, H, W)
    K = torch.tensor([[[50.0, 0, 31.5], [0, 50.0, 23.5], [0, 0, 1]]]).repeat(2, 1, 1)
    direct = plain.teacher_depth(image, K)
    mirrored = plain.teacher_depth(image.flip(-1), K).flip(-1)
    assert (direct - mirrored).abs().max() > 1e-3  # the teacher alone is not mirror-symmetric
    target = flipped.eval().teacher_depth(image, K)
    torch.testing.assert_close(target, (direct * mirrored).sqrt())
    # The averaged target is: mirroring the image mirrors it.
    torch.testing.assert_close(flipped.teacher_depth(image.flip(-1), K), target.flip(-1))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["teacher=default"], "no loss term has 'target: teacher'"),
        (["losses=[{name: berhu, target: teacher}]"], "names no teacher"),
        (["teacher_flip=true"], "teacher_flip is set but the recipe names no teacher"),
    ],
)
def test_teacher_and_teacher_terms_come_together(folder, tmp_path, extra, message):
    from monocle.train.module import DepthModule

    with pytest.raises(ValueError, match=message):
        DepthModule(recipe_for(folder, tmp_path, "mismatch", *extra))
