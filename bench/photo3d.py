"""Benchmark 3D photos against the synth engine's true novel views, and time the pipeline.

Quality: for synthetic portrait and indoor scenes (noise-free renders, so PSNR measures
geometry and inpainting, not sensor noise), the photo is rendered from cameras moved along the
circle path and compared with the engine's render of the same scene from the same moved
camera: PSNR and SSIM over the whole frame and inside the disoccluded pixels (those whose
surface the source camera did not see), pooled over every disoccluded pixel of every view, and
inside the occluded part of them (hidden behind a nearer surface, not outside the source
frame). Methods: (1) a naive single uncut mesh, (2) layered + classical inpainting, (3) layered
+ learned inpainting, and a bound: layered with the engine's true background painted wherever
a moved camera would reveal it (what no inpainting method can beat); depth exact or from the
shipped model.

Speed: seconds of the whole pipeline at 1024x768 without depth prediction, and frames per
second of the offline renderer at 1024x768 (the median of five passes over 60 views). Writes
bench/results/photo3d.json and .md.

    python bench/photo3d.py [--quick] [--seeds N] [--size HxW]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from _common import machine
from monocle.apps.photo3d import camera_path, make_photo3d, open_renderer
from monocle.apps.photo3d.depth_input import planar_depth
from monocle.apps.photo3d.inpaint_net import SHIPPED_WEIGHTS
from monocle.apps.photo3d.inpaint_train import revealed_background
from monocle.apps.photo3d.layers import classical_inpainter
from monocle.apps.photo3d.render_torch import TorchRenderer
from monocle.cli.options import parse_size
from monocle.depthmap import DepthMap
from monocle.synth import render, sample_scene

RESULTS = Path(__file__).resolve().parent / "results"
PRESETS = ("portrait", "indoor")
# Of the 240-frame circle, its seven distinct extremes: x = +-a_x at frames 0, 60, 120 (180
# repeats 60) and y = +-a_y at 30, 90, 150, 210, at three depths along z.
VIEW_FRAMES = (0, 30, 60, 90, 120, 150, 210)
VISIBLE_TOLERANCE = 0.03


def scene_views(preset: str, seed: int, size: tuple[int, int]) -> dict:
    """Noise-free source render, the circle path, and the true novel views from the source
    camera moved along the path's VIEW_FRAMES."""
    scene = sample_scene(preset, seed)
    source = render(scene, size=size, sensor=False)
    near = float(source["depth"][source["valid"]].min())
    path = camera_path("circle", source["K"], near_depth=near)
    offsets = path.poses[list(VIEW_FRAMES), :3, 3].astype(np.float64)
    novel = [
        render(scene, scene.camera.shifted(o), size, sensor=False, background=False)
        for o in offsets
    ]
    return {"source": source, "novel": novel, "offsets": offsets, "near": near}


def disoccluded(source: dict, view: dict, offset: np.ndarray) -> dict[str, np.ndarray]:
    """bool (H, W) masks of the novel-view pixels whose surface the source camera does not see:
    "disocc" all of them, "occluded" those it does not see because a nearer surface hides them
    (the rest lie outside its frame, where every method shows the same padded border)."""
    K = source["K"].astype(np.float64)
    height, width = view["depth"].shape
    rows, cols = np.mgrid[0:height, 0:width]
    z = view["depth"].astype(np.float64)
    points = np.stack([(cols - K[0, 2]) / K[0, 0] * z, (rows - K[1, 2]) / K[1, 1] * z, z], -1)
    points = points + offset  # novel camera frame -> source camera frame (translation only)
    u = points[..., 0] / points[..., 2] * K[0, 0] + K[0, 2]
    v = points[..., 1] / points[..., 2] * K[1, 1] + K[1, 2]
    inside = (u > -0.5) & (u < width - 0.5) & (v > -0.5) & (v < height - 0.5)
    # Hidden only when all four source pixels around the projection lie in front of the
    # point: a surface seen at a grazing angle in the source is not a disocclusion.
    hidden = np.ones((height, width), dtype=bool)
    for du in (np.floor, np.ceil):
        for dv in (np.floor, np.ceil):
            uu = np.clip(du(u), 0, width - 1).astype(int)
            vv = np.clip(dv(v), 0, height - 1).astype(int)
            in_front = source["depth"][vv, uu] < (1 - VISIBLE_TOLERANCE) * points[..., 2]
            hidden &= in_front & source["valid"][vv, uu]
    occluded = view["valid"] & inside & hidden
    return {"disocc": occluded | (view["valid"] & ~inside), "occluded": occluded}


def scores(pred: np.ndarray, true: np.ndarray, masks: dict[str, np.ndarray]) -> dict:
    """PSNR and SSIM (11x11 Gaussian window, kornia) over the frame and inside each mask."""
    import kornia

    a = torch.as_tensor(pred, dtype=torch.float32).permute(2, 0, 1)[None] / 255
    b = torch.as_tensor(true, dtype=torch.float32).permute(2, 0, 1)[None] / 255
    ssim_map = kornia.metrics.ssim(a, b, 11).mean(1)[0].numpy()
    err = ((a - b) ** 2).mean(1)[0].numpy()

    def psnr(values):
        return float(10 * np.log10(1.0 / max(values.mean(), 1e-10)))

    out = {"psnr": psnr(err), "ssim": float(ssim_map.mean())}
    for name, mask in masks.items():
        out[f"{name}_px"] = int(mask.sum())
        if mask.any():
            out.update(
                {f"psnr_{name}": psnr(err[mask]), f"ssim_{name}": float(ssim_map[mask].mean())}
            )
    return out


def true_background(source: dict) -> Callable:
    """An inpainter that knows the answer: the engine's background layer where it is what
    lies behind the photo's surface, OpenCV's fill elsewhere. No colour inpainting can do
    better, so its row bounds what the learned network could gain."""
    import cv2

    revealed = revealed_background(source)

    def true_background_fill(rgb, hole, disparity, background):
        margin = (rgb.shape[0] - revealed.shape[0]) // 2  # the pipeline's replicated border

        def pad(values):
            return cv2.copyMakeBorder(values, *(margin,) * 4, cv2.BORDER_REPLICATE)

        known = hole & pad(revealed.astype(np.uint8)).astype(bool)
        classical = classical_inpainter(rgb, hole, disparity, background)
        return np.where(known[..., None], pad(source["background_rgb"]), classical)

    return true_background_fill


def methods(learned: bool, source: dict) -> dict:
    table = {
        "naive single mesh": {"layered": False},
        "layered + classical": {"inpaint": "classical"},
    }
    if learned:
        table["layered + learned"] = {"inpaint": "learned"}
    table["layered + true background (bound)"] = {"inpaint": true_background(source)}
    return table


def evaluate(presets, seeds, size, depth_kinds, progress=print) -> list[dict]:
    rows = []
    predictor = None
    if "model" in depth_kinds:
        from monocle.infer import load

        predictor = load("default")
    for preset in presets:
        for seed in seeds:
            views = scene_views(preset, seed, size)
            source, offsets, K = views["source"], views["offsets"], views["source"]["K"]
            masks = [
                disoccluded(source, v, o) for v, o in zip(views["novel"], offsets, strict=True)
            ]
            for kind in depth_kinds:
                if kind == "exact":
                    depth = DepthMap(source["depth"], "metric", valid=source["valid"])
                else:
                    depth = predictor.infer(source["rgb"], K=K).aligned_to(
                        DepthMap(source["depth"], "metric", valid=source["valid"])
                    )
                # Predicted depth is sharpened, as make_photo3d does for depth it predicts
                # itself (the aligned map below is metric, which it would leave alone).
                sharpen = kind == "model"
                for name, options in methods(SHIPPED_WEIGHTS.exists(), source).items():
                    photo = make_photo3d(
                        source["rgb"], depth, K=K, path="circle", sharpen=sharpen, **options
                    )
                    renderer = TorchRenderer(photo.mesh, size)
                    for index, (view, mask) in enumerate(zip(views["novel"], masks, strict=True)):
                        frame = renderer.render(
                            photo.path.poses[VIEW_FRAMES[index]],
                            photo.path.intrinsics[VIEW_FRAMES[index]],
                        )
                        row = {
                            "preset": preset,
                            "seed": seed,
                            "depth": kind,
                            "method": name,
                            "view": index,
                            "near_m": views["near"],
                            "uncovered_px": int((~frame.covered).sum()),
                        }
                        row.update(scores(frame.rgb, view["rgb"], mask))
                        rows.append(row)
            progress(f"{preset} seed {seed} done")
    return rows


def summarise(rows: list[dict]) -> list[dict]:
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault((row["depth"], row["preset"], row["method"]), []).append(row)
    table = []
    for (depth, preset, method), items in groups.items():
        entry = {"depth": depth, "preset": preset, "method": method, "views": len(items)}
        for key in ("psnr", "ssim"):
            entry[key] = float(np.mean([r[key] for r in items]))
        # Inside disocclusions, every disoccluded pixel of every view counts once: a per-view
        # mean would weigh a view that reveals 12 pixels like one that reveals 5000.
        for name in ("disocc", "occluded"):
            seen = [r for r in items if r[f"{name}_px"]]
            pixels = sum(r[f"{name}_px"] for r in seen)
            sse = sum(r[f"{name}_px"] * 10 ** (-r[f"psnr_{name}"] / 10) for r in seen)
            ssim_sum = sum(r[f"{name}_px"] * r[f"ssim_{name}"] for r in seen)
            entry[f"{name}_px"] = pixels
            entry[f"psnr_{name}"] = (
                float(10 * np.log10(pixels / max(sse, 1e-10))) if pixels else None
            )
            entry[f"ssim_{name}"] = ssim_sum / pixels if pixels else None
        entry["uncovered_px"] = int(sum(r["uncovered_px"] for r in items))
        table.append(entry)
    return table


def speed(size=(768, 1024), frames: int = 60, passes: int = 5) -> dict:
    """Pipeline seconds (no depth prediction) and renderer fps on a 1024x768 portrait: the
    median over ``passes`` runs through ``frames`` views of the circle path."""
    scene = sample_scene("portrait", 0)
    source = render(scene, size=size, sensor=False)
    depth = DepthMap(source["depth"], "metric", valid=source["valid"])
    make_photo3d(source["rgb"][:64, :64], depth.values[:64, :64])  # warm-up: imports
    start = time.perf_counter()
    photo = make_photo3d(source["rgb"], depth, K=source["K"], path="circle", inpaint="classical")
    pipeline_s = time.perf_counter() - start
    # Predicted depth is sharpened and snapped to colour edges first; time that on the exact
    # depth made as soft as a 128x160 prediction upsampled to the photo.
    import cv2

    z, _ = planar_depth(depth, size)
    small = cv2.resize(z, (160, 120), interpolation=cv2.INTER_AREA)
    soft = DepthMap(cv2.resize(small, size[::-1], interpolation=cv2.INTER_LINEAR), "metric")
    start = time.perf_counter()
    make_photo3d(
        source["rgb"], soft, K=source["K"], path="circle", inpaint="classical", sharpen=True
    )
    out = {
        "pipeline_sharpened_s": time.perf_counter() - start,
        "pipeline_s": pipeline_s,
        "stages_s": photo.seconds,
        "faces": len(photo.mesh.faces),
        "synthesis_px": int(photo.layers.synthesis.sum()),
        "padding_px": photo.layers.margin,
    }
    engine = open_renderer(photo.mesh, size)
    poses = list(zip(photo.path.poses, photo.path.intrinsics, strict=True))[
        :: len(photo.path) // frames
    ]
    engine.render(*poses[0])
    # The median of several passes: one pass on a shared virtual machine swings by 10-15%.
    rates = []
    for _ in range(passes):
        start = time.perf_counter()
        for pose, K in poses:
            engine.render(pose, K)
        rates.append(len(poses) / (time.perf_counter() - start))
    out.update(renderer=engine.name, fps=float(np.median(rates)), fps_passes=rates)
    engine.close()
    return out


def markdown(summary: list[dict], timing: dict, meta: dict) -> str:
    def fmt(value, digits=2):
        return "—" if value is None else f"{value:.{digits}f}"

    lines = [
        "# photo3d benchmark",
        "",
        f"{meta['machine']}; torch threads {meta['threads']}; load average at start "
        f"{meta['load']}; size {meta['size']}; seeds {meta['seeds']}; circle path views "
        f"{list(VIEW_FRAMES)} of 240. Disocc.: every novel-view pixel the source camera "
        "did not see, pooled over views; occluded: the part of it hidden behind a nearer "
        "surface (not outside the source frame).",
        "",
        "| depth | preset | method | PSNR | SSIM | PSNR disocc. | SSIM disocc. | PSNR occluded "
        "| SSIM occluded | uncovered px |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in summary:
        lines.append(
            f"| {r['depth']} | {r['preset']} | {r['method']} | {fmt(r['psnr'])} | "
            f"{fmt(r['ssim'], 3)} | {fmt(r['psnr_disocc'])} | {fmt(r['ssim_disocc'], 3)} | "
            f"{fmt(r['psnr_occluded'])} | {fmt(r['ssim_occluded'], 3)} | {r['uncovered_px']} |"
        )
    if meta.get("model_row"):
        lines += ["", f"Shipped model's depth: {meta['model_row']}"]
    lines += [
        "",
        f"Pipeline at 1024x768 (exact depth, no prediction): {timing['pipeline_s']:.2f} s "
        f"({', '.join(f'{k} {v:.2f} s' for k, v in timing['stages_s'].items())}); "
        f"{timing['faces']} triangles; {timing['pipeline_sharpened_s']:.2f} s with the "
        "exact depth blurred like a prediction, sharpened and snapped to colour; "
        f"renderer {timing['renderer']}: {timing['fps']:.1f} fps "
        f"(median of {len(timing['fps_passes'])} passes: "
        f"{', '.join(f'{v:.1f}' for v in timing['fps_passes'])}).",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 seed per preset, small frames")
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--size", type=parse_size, default="144x192")
    args = parser.parse_args()
    size = args.size
    seeds = list(range(1 if args.quick else args.seeds))
    depth_kinds = ["exact"]
    model_row = None
    try:
        from monocle.infer import load

        load("default")
        depth_kinds.append("model")
    except ValueError as err:
        model_row = f"pending — `monocle.infer.load('default')` says: {err}"
    info = machine()
    meta = {
        "machine": f"{info['cpu']}, {info['logical_cpus']} logical CPUs",
        "threads": torch.get_num_threads(),
        "load": round(os.getloadavg()[0], 1),
        "size": size,
        "seeds": seeds,
        "model_row": model_row,
    }
    rows = evaluate(PRESETS, seeds, size, depth_kinds)
    summary = summarise(rows)
    timing = speed(frames=20 if args.quick else 60)
    RESULTS.mkdir(exist_ok=True)
    report = {"meta": meta, "summary": summary, "timing": timing, "rows": rows}
    (RESULTS / "photo3d.json").write_text(json.dumps(report, indent=1, default=float))
    text = markdown(summary, timing, meta)
    (RESULTS / "photo3d.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
