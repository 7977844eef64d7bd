"""Training throughput: images/s for one process and for 2-process DDP on CPU (gloo).

Each model also trains once with its weights in the contiguous (NCHW) layout, the baseline for
its channels-last default (``PretrainedConfig.channels_last``), in the same run.

Runs `monocle.train` on a synthetic folder written once into a temporary directory, for a few
steps per configuration, and times the steps after the first (warm-up) through a callback.
Results go to bench/results/train.json and bench/results/train.md.

    python bench/train.py [--models sanet_mbv2,fastdepth] [--steps 12] [--size 240x320]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import lightning as L

from _common import machine
from monocle.cli.options import parse_size
from monocle.models import get_config
from monocle.synth import write_dataset
from monocle.train import load_recipe, train

RESULTS = Path(__file__).resolve().parent / "results"


class StepTimer(L.Callback):
    """Wall time of the training steps after the first, on rank 0."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.start: float | None = None
        self.steps = 0

    def on_train_batch_end(self, trainer, *args) -> None:
        if trainer.global_step == 1:
            self.start = time.perf_counter()
        elif self.start is not None:
            self.steps += 1

    def on_train_end(self, trainer, module) -> None:
        if trainer.is_global_zero and self.start is not None:
            seconds = time.perf_counter() - self.start
            self.out.write_text(json.dumps({"steps": self.steps, "seconds": seconds}))


def measure(
    folder: Path, work: Path, model: str, processes: int, steps: int, batch: int, layout: str
) -> dict:
    spec = f"{{type: synth_folder, root: {folder}, extras: []}}"
    overrides = [
        f"out_dir={work}",
        f"name={model}_{processes}_{layout}",
        f"model.name={model}",
        f"data.train=[{{spec: {spec}}}]",
        f"data.batch_size={batch}",
        "data.workers=0",
        f"data.samples_per_epoch={steps * batch * processes}",
        "trainer.max_epochs=1",
        "trainer.progress_bar=false",
        "trainer.accelerator=cpu",
        f"trainer.checkpoint_every_n_steps={10 * steps}",
        "losses=[{name: berhu}, {name: scale_invariant_gradient}]",
    ]
    if layout == "contiguous":
        overrides.append("model.overrides={channels_last: false}")
    if processes > 1:
        overrides += [f"trainer.devices={processes}", "trainer.strategy=ddp_spawn"]
    timing = work / f"{model}_{processes}_{layout}.json"
    train(load_recipe(None, overrides), resume=False, callbacks_extra=[StepTimer(timing)])
    result = json.loads(timing.read_text())
    images = result["steps"] * batch * processes
    return {"model": model, "processes": processes, "batch_per_process": batch, "layout": layout,
            "steps_timed": result["steps"], "images_per_s": images / result["seconds"]}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="sanet_mbv2,fastdepth")
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--size", type=parse_size, default="240x320")
    args = parser.parse_args()
    height, width = args.size
    info = machine()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "data"
        write_dataset(folder, "indoor", n=16, size=(height, width), seed=0)
        for model in args.models.split(","):
            layouts = ["contiguous"] + (
                ["channels-last"] if get_config(model).channels_last else []
            )
            runs = [(1, layout) for layout in layouts] + [(2, layouts[-1])]
            for processes, run_layout in runs:
                rows.append(measure(folder, Path(tmp) / "runs", model, processes,
                                    args.steps, args.batch, run_layout))  # fmt: skip
    baseline = {r["model"]: r["images_per_s"] for r in rows
                if r["processes"] == 1 and r["layout"] == "contiguous"}  # fmt: skip
    for row in rows:
        row["speedup_vs_contiguous_1_process"] = row["images_per_s"] / baseline[row["model"]]
    lines = [
        f"# Training throughput at {height}x{width}",
        "",
        f"Measured by `bench/train.py` on {info['cpu']} ({info['logical_cpus']} CPUs, torch "
        f"{info['torch']}, load average {info['load_average_1m']} at the start). DDP is 2 "
        "processes on the same CPU over gloo, so it shares the cores: it shows the overhead, "
        "not a speed-up. Layout: the weights' memory format (the model's default, or contiguous "
        "as the baseline); x: images/s against that model's contiguous single process.",
        "",
        "| model | processes | layout | batch per process | images/s | x |",
        "|---|---|---|---|---|---|",
        *(
            f"| {r['model']} | {r['processes']} | {r['layout']} | {r['batch_per_process']} | "
            f"{r['images_per_s']:.2f} | {r['speedup_vs_contiguous_1_process']:.2f} |"
            for r in sorted(rows, key=lambda r: (r["model"], r["processes"], r["layout"]))
        ),
        "",
    ]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "train.json").write_text(json.dumps({"machine": info, "rows": rows}, indent=2))
    (RESULTS / "train.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
