"""`monocle export --model NAME|PATH --format onnx|ort [--precision P] [--calib N | --calib-dir DIR]
--out FILE`."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "export", help="export a model to ONNX or ORT format (fp32, fp16, int8), pixels in"
    )
    parser.add_argument("--model", default="default", help="model name or checkpoint path")
    parser.add_argument("--format", default="onnx", help="onnx | ort (onnxruntime mobile)")
    parser.add_argument("--precision", default="fp32", help="fp32 | fp16 | int8")
    calibration = parser.add_mutually_exclusive_group()
    calibration.add_argument(
        "--calib", type=int, default=32, help="int8: number of monocle.synth calibration renders"
    )
    calibration.add_argument("--calib-dir", default=None, help="int8: folder of calibration images")
    parser.add_argument("--out", required=True, help="output .onnx (.ort for --format ort)")
    parser.add_argument("--dynamo", action="store_true", help="use the dynamo exporter")
    parser.add_argument("--opset", type=int, default=None, help="default 17 (dynamo: 18)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from monocle.export import check_format, export_onnx, read_metadata

    check_format(args.format, args.precision)  # before a slow model load
    if args.calib_dir is not None and args.precision != "int8":
        raise ValueError(f"--calib-dir is for --precision int8, not {args.precision}")
    path = export_onnx(
        args.model,
        args.out,
        precision=args.precision,
        format=args.format,
        calibration=args.calib_dir,
        calib_samples=args.calib,
        dynamo=args.dynamo,
        opset=args.opset or (18 if args.dynamo else 17),
    )
    metadata = read_metadata(path)
    output = metadata["output"]
    print(
        f"wrote {path} ({path.stat().st_size / 2**20:.1f} MB, {args.precision}): input 'image' "
        f"uint8 (B,3,H,W) RGB, output {output['name']!r} (B,1,H,W) {output['kind']} "
        f"[{output['unit'] or 'no unit'}]"
    )
    return 0
