"""Edge benchmark: latency, FPS, peak memory, file size, achieved GFLOP/s and accuracy of one
model under torch eager, torch.compile and onnxruntime fp32 / fp16 / int8.

Speed is what a user's call costs: the whole :class:`~monocle.infer.Predictor` on one uint8
camera frame of the asked size (resize to the model's working size, the network, resize the
depth back), batch 1, the same path for every runtime. A model trained at 128x160 therefore
runs its network at 128x160 for a 480x640 frame, and the result says so (``working_size``).
Each runtime is timed in its own child process, so its peak resident memory (``VmHWM``) is its
own and one runtime's threads or caches cannot slow the next. Accuracy runs the same Predictor
on a test set, metric, without alignment.
"""

from __future__ import annotations

import multiprocessing
import os
import platform
import statistics
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

BACKENDS = ("torch_eager", "torch_compile", "ort_fp32", "ort_int8")
ALL_BACKENDS = (*BACKENDS, "ort_fp16")
_ORT_PRECISION = {"ort_fp32": "fp32", "ort_fp16": "fp16", "ort_int8": "int8"}


def cpu_peak_gflops(n: int = 2048, repeats: int = 5) -> float:
    """This CPU's practical float32 peak: GFLOP/s of an ``n``x``n`` torch matmul (median)."""
    a, b = torch.rand(n, n), torch.rand(n, n)
    torch.mm(a, b)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        torch.mm(a, b)
        times.append(time.perf_counter() - start)
    return 2 * n**3 / statistics.median(times) / 1e9


def count_flops(model: torch.nn.Module, size: tuple[int, int]) -> int:
    """FLOPs of one batch-1 forward at ``size`` (FlopCounterMode: 1 MAC = 2 FLOPs; convolutions,
    matmuls and attention only)."""
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with torch.inference_mode(), counter:
        model(torch.rand(1, 3, *size))
    return counter.get_total_flops()


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    import onnxruntime

    name = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                name = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": name,
        "logical_cpus": multiprocessing.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "onnxruntime": onnxruntime.__version__,
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        # Other processes' load slows every number here; a load above the CPU count means
        # the timings are inflated.
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def _status_mib(field: str) -> float:
    """``VmRSS`` (resident now) or ``VmHWM`` (peak resident) of this process, in MiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _time(fn: Callable[[], Any], runs: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def _runner(backend: str, checkpoint: str, onnx_path: str | None, size: tuple[int, int]):
    """(callable predicting one ``size`` frame, seconds it took to build)."""
    from monocle.infer import Predictor

    start = time.perf_counter()
    frame = np.random.default_rng(0).integers(0, 256, (*size, 3), dtype=np.uint8)
    if backend.startswith("ort_"):
        from monocle.export.runtime import OnnxBackend

        runner = OnnxBackend(onnx_path)
    else:
        from monocle.checkpoint import load_checkpoint
        from monocle.infer.backends import TorchBackend

        runner = TorchBackend(load_checkpoint(checkpoint), device="cpu")
        if backend == "torch_compile":
            runner.model = torch.compile(runner.model)
    predictor = Predictor(runner, batch_size=1)

    def forward():
        return predictor.infer(frame)

    forward()  # torch.compile compiles here; its time is reported as build time
    return forward, time.perf_counter() - start


def _child(backend, checkpoint, onnx_path, size, runs, warmup, queue) -> None:
    try:
        baseline = _status_mib("VmRSS")
        forward, build_s = _runner(backend, checkpoint, onnx_path, size)
        times = _time(forward, runs, warmup)
        # Not ru_maxrss: Linux carries it across the exec that starts a spawned child, so it
        # would report the parent's peak. VmHWM belongs to this address space alone.
        peak = _status_mib("VmHWM")
        queue.put({"times": times, "build_s": build_s, "peak_rss_mib": peak,
                   "baseline_rss_mib": baseline})  # fmt: skip
    except Exception as err:  # reported in the table: e.g. torch.compile without a compiler
        last = traceback.format_exception_only(type(err), err)[-1].strip()
        queue.put({"error": last[:500]})


def time_isolated(
    backend: str,
    checkpoint: str | Path,
    onnx_path: str | Path | None,
    size: tuple[int, int],
    runs: int,
    warmup: int,
) -> dict[str, Any]:
    """Latency (s per run), build time and peak RSS of ``backend`` in a fresh process."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    args = (backend, str(checkpoint), onnx_path and str(onnx_path), size, runs, warmup, queue)
    process = context.Process(target=_child, args=args)
    process.start()
    result = queue.get()
    process.join()
    return result


def benchmark(
    checkpoint: str | Path,
    *,
    size: tuple[int, int] = (480, 640),
    backends: Sequence[str] = BACKENDS,
    runs: int = 20,
    warmup: int = 3,
    test_set=None,
    calibration=None,
    calib_samples: int = 16,
    peak_gflops: float | None = None,
    workdir: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Measure the checkpoint's model under each of ``backends`` (see :data:`ALL_BACKENDS`).

    A checkpoint (``NAME.safetensors`` + ``NAME.json``, see :mod:`monocle.checkpoint`) rather
    than a module, because it rebuilds the exact architecture in each timing process.

    ``size``: the camera frame (H, W); the network runs at the model's working size for it.
    ``test_set``: contract-dict dataset for delta1 / AbsRel (metric, no alignment), or None.
    ``calibration``/``calib_samples``: int8 calibration, as in :func:`export_onnx`.
    ``peak_gflops``: this CPU's peak to compare against (measured if None).
    Returns ``{"model", "size", "working_size", "gflop" (per frame), "peak_gflops", "rows"}``;
    a row has ``backend``, ``median_ms``, ``fps``, ``peak_rss_mib``, ``model_rss_mib`` (peak
    minus the process before loading), ``file_mb``, ``gflops_per_s``, ``delta1``, ``abs_rel``
    and ``error`` (or None).
    """
    from monocle.checkpoint import checkpoint_paths, load_checkpoint
    from monocle.export.onnx import export_onnx
    from monocle.infer.predictor import working_size

    unknown = sorted(set(backends) - set(ALL_BACKENDS))
    if unknown:
        raise ValueError(f"unknown backend(s) {unknown}; choose from {', '.join(ALL_BACKENDS)}")
    say = progress or (lambda message: None)
    model = load_checkpoint(checkpoint)
    checkpoint = checkpoint_paths(checkpoint)[0]
    cfg = model.pretrained_cfg
    working = working_size(size, cfg.input_size, cfg.size_multiple)
    flops = count_flops(model, working)
    peak = peak_gflops if peak_gflops is not None else cpu_peak_gflops()
    rows = []
    with tempfile.TemporaryDirectory(prefix="monocle-bench-", dir=workdir) as tmp:
        for backend in backends:
            say(f"{cfg.architecture}: {backend}")
            row: dict[str, Any] = {"backend": backend, "error": None}
            onnx_path = None
            if backend in _ORT_PRECISION:
                precision = _ORT_PRECISION[backend]
                onnx_path = Path(tmp) / f"{precision}.onnx"
                export_onnx(model, onnx_path, precision=precision,
                            calibration=calibration if precision == "int8" else None,
                            calib_samples=calib_samples)  # fmt: skip
            file = onnx_path or checkpoint
            row["file_mb"] = round(file.stat().st_size / 2**20, 2)
            timing = time_isolated(backend, checkpoint, onnx_path, size, runs, warmup)
            if "error" in timing:
                row["error"] = timing["error"]
                rows.append(row)
                continue
            median = statistics.median(timing["times"])
            row.update(
                median_ms=round(1000 * median, 2),
                fps=round(1 / median, 1),
                build_s=round(timing["build_s"], 1),
                peak_rss_mib=round(timing["peak_rss_mib"]),
                model_rss_mib=round(timing["peak_rss_mib"] - timing["baseline_rss_mib"]),
                gflops_per_s=round(flops / median / 1e9, 1),
                percent_of_peak=round(100 * flops / median / 1e9 / peak, 1),
            )
            if test_set is not None and backend != "torch_compile":
                row.update(_accuracy(model, onnx_path, test_set))
            rows.append(row)
    return {"model": cfg.architecture, "size": list(size), "working_size": list(working),
            "gflop": round(flops / 1e9, 2), "peak_gflops": round(peak, 1),
            "rows": rows}  # fmt: skip


def _accuracy(model: torch.nn.Module, onnx_path: Path | None, test_set) -> dict[str, float]:
    from monocle.evaluation import evaluate
    from monocle.infer import Predictor

    if onnx_path is None:
        predictor = Predictor(model, device="cpu")
    else:
        from monocle.export.runtime import OnnxBackend

        predictor = Predictor(OnnxBackend(onnx_path))
    summary = evaluate(predictor, test_set, protocol="synth", align="none").summary()
    return {"delta1": round(float(summary["delta1"]), 4),
            "abs_rel": round(float(summary["abs_rel"]), 4)}  # fmt: skip


def accuracy_drop(rows: list[dict[str, Any]], metric: str = "delta1") -> float | None:
    """``ort_fp32`` minus ``ort_int8`` ``metric`` in points (x100), if both were measured."""
    by = {row["backend"]: row.get(metric) for row in rows}
    if by.get("ort_fp32") is None or by.get("ort_int8") is None:
        return None
    return round(100 * (by["ort_fp32"] - by["ort_int8"]), 2)
