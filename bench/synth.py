"""Benchmark the scene engine: samples/s per preset at 240x320 and 480x640, and one 2160x3840
sample's time and peak memory. Writes bench/results/synth.json and bench/results/synth.md.

Each measured sample is a full ``render_sample``: RGB, depth, normals, instance and semantic
masks, the background layer, plus the right view (stereo) or all frames (video). Throughput is
measured in one process with 1 torch thread and with the default thread count, and at 240x320
also the way ``monocle synth --workers 2`` and a 2-worker DataLoader render: two processes of
one thread each, with and without the background layer (the issue's target counts RGB, depth,
normals and masks), in three interleaved rounds reported by their median. The 4K sample runs
in a fresh subprocess so its peak RSS is its own (also three times).

    python bench/synth.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

from _common import machine
from monocle.synth import PRESETS, render_sample

RESULTS = Path(__file__).resolve().parent / "results"
FOUR_K = (2160, 3840)


def throughput(preset: str, size: tuple[int, int], count: int) -> float:
    render_sample(preset, 10_000, size)  # warm-up: imports, noise table, allocator
    start = time.perf_counter()
    for seed in range(count):
        render_sample(preset, seed, size)
    return count / (time.perf_counter() - start)


def _one_thread() -> None:
    torch.set_num_threads(1)


def _render(job: tuple[str, int, tuple[int, int], bool]) -> None:
    preset, seed, size, background = job
    render_sample(preset, seed, size, background=background)


def parallel_throughput(
    preset: str, size: tuple[int, int], count: int, processes: int, background: bool
) -> float:
    """Samples/s of ``processes`` one-thread workers sharing ``count`` samples."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes, initializer=_one_thread) as pool:
        pool.map(_render, [(preset, 10_000 + i, size, background) for i in range(processes)])
        start = time.perf_counter()
        pool.map(_render, [(preset, i, size, background) for i in range(count)], chunksize=1)
        return count / (time.perf_counter() - start)


def four_k(preset: str) -> dict:
    """Time and peak RSS of one 2160x3840 sample, measured in a child process."""
    code = (
        "import time, resource, json, torch\n"
        "from monocle.synth import render_sample\n"
        "start = time.perf_counter()\n"
        f"render_sample({preset!r}, 0, {FOUR_K})\n"
        "seconds = time.perf_counter() - start\n"
        "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "print(json.dumps({'seconds': seconds, 'peak_rss_mb': peak,"
        " 'threads': torch.get_num_threads()}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return {"preset": preset, **json.loads(done.stdout.strip().splitlines()[-1])}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples (smoke test)")
    args = parser.parse_args()
    counts = {(240, 320): 2 if args.quick else 8, (480, 640): 1 if args.quick else 3}
    info = machine()
    default_threads = torch.get_num_threads()
    rows = []
    for threads in sorted({1, default_threads}):
        torch.set_num_threads(threads)
        for size, count in counts.items():
            for preset in PRESETS:
                rate = throughput(preset, size, count)
                rows.append(
                    {
                        "preset": preset,
                        "size": f"{size[0]}x{size[1]}",
                        "threads": threads,
                        "samples": count,
                        "samples_per_s": round(rate, 3),
                    }
                )
    torch.set_num_threads(default_threads)
    processes = os.cpu_count() or 1
    parallel_count = (4 if args.quick else 16) * processes
    # Rounds interleave the presets, so a slow spell of this shared machine hits all of them;
    # each row reports the median of its rounds and keeps every round.
    repeats = 1 if args.quick else 3
    jobs = [(preset, background) for background in (True, False) for preset in PRESETS]
    runs: dict[tuple[str, bool], list[float]] = {job: [] for job in jobs}
    for _ in range(repeats):
        for preset, background in jobs:
            runs[(preset, background)].append(
                parallel_throughput(preset, (240, 320), parallel_count, processes, background)
            )
    parallel = [
        {
            "preset": preset,
            "size": "240x320",
            "processes": processes,
            "background_layer": background,
            "samples": parallel_count,
            "samples_per_s": round(statistics.median(runs[(preset, background)]), 3),
            "rounds": [round(rate, 3) for rate in runs[(preset, background)]],
        }
        for preset, background in jobs
    ]
    big_runs = [four_k("outdoor") for _ in range(repeats)]
    big_seconds = [run["seconds"] for run in big_runs]
    big = {
        "preset": "outdoor",
        "seconds": statistics.median(big_seconds),
        "peak_rss_mb": max(run["peak_rss_mb"] for run in big_runs),
        "threads": big_runs[0]["threads"],
        "rounds": big_runs,
    }
    load_end = os.getloadavg()
    result = {
        "machine": info,
        "load_average_at_end": load_end,
        "throughput": rows,
        "parallel_throughput": parallel,
        "4k": big,
        "peak_rss_mb_this_process": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "synth.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = [
        "# monocle.synth benchmark",
        "",
        f"Machine: {info['cpu']}, {info['logical_cpus']} CPUs, torch {info['torch']}; "
        f"1-minute load average at start {info['load_average_1m']}, "
        f"at end {tuple(round(x, 2) for x in load_end)} (other jobs sharing the CPU make these "
        "numbers noisy).",
        "",
        "Full `render_sample` per sample (RGB, depth, normals, masks, background layer; stereo "
        "adds the right view, video all frames).",
        "",
        "| preset | size | torch threads | samples/s |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {r['preset']} | {r['size']} | {r['threads']} | {r['samples_per_s']:.2f} |" for r in rows
    ]
    lines += [
        "",
        f"{processes} one-thread processes (as `monocle synth --workers {processes}`), 240x320, "
        f"median of {repeats} interleaved rounds:",
        "",
        "| preset | background layer | samples/s | rounds |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {r['preset']} | {'yes' if r['background_layer'] else 'no'} | {r['samples_per_s']:.2f} "
        f"| {', '.join(f'{rate:.2f}' for rate in r['rounds'])} |"
        for r in parallel
    ]
    lines += [
        "",
        f"One {FOUR_K[0]}x{FOUR_K[1]} `{big['preset']}` sample: {big['seconds']:.1f} s (median of "
        f"{repeats}: {', '.join(f'{seconds:.1f}' for seconds in big_seconds)}), "
        f"peak RSS {big['peak_rss_mb']:.0f} MB ({big['threads']} torch threads).",
        "",
    ]
    (RESULTS / "synth.md").write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
