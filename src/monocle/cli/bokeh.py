"""`monocle bokeh IMAGE (--depth FILE | --model NAME) (--focus X,Y | --focus-distance M)
[--fnumber N | --strength PX] --out FILE`: a shallow depth of field from an image and depth."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "bokeh",
        help="render a shallow depth of field from an image and its depth",
        description="Simulate a large-aperture lens: blur by depth, occlusion-correct. Blur "
        "from a thin lens (--fnumber, metric depth) or a disparity strength (--strength, any "
        "depth). See docs/bokeh.md.",
    )
    parser.add_argument("image", help="input image file")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--depth", help="depth file (png16, npz, npy, pfm, tiff, exr)")
    source.add_argument("--model", help="depth model name or checkpoint path to predict with")
    parser.add_argument(
        "--depth-kind",
        choices=("metric", "relative", "disparity"),
        help="what --depth holds, for files that do not record it (npy, pfm); metric is metres",
    )
    focus = parser.add_mutually_exclusive_group(required=True)
    focus.add_argument("--focus", help="pixel to focus on, as X,Y (column,row)")
    focus.add_argument("--focus-distance", type=float, help="focus distance in metres")
    blur = parser.add_mutually_exclusive_group()
    blur.add_argument("--fnumber", type=float, help="thin-lens f-number (default 1.8)")
    blur.add_argument("--strength", type=float, help="disparity blur radius in pixels")
    parser.add_argument("--focal-length", type=float, default=50.0, help="mm (default 50)")
    parser.add_argument("--sensor-width", type=float, default=36.0, help="mm (default 36)")
    parser.add_argument("--aperture", default="disc", help="disc | hexagon | blade count 3..16")
    parser.add_argument("--cat-eye", type=float, default=0.0, help="0..1 edge vignetting")
    parser.add_argument("--highlight-gain", type=float, default=4.0, help="1 turns it off")
    parser.add_argument("--max-radius", type=float, help="largest blur radius in pixels")
    parser.add_argument("--device", default="cpu", help="cpu | cuda")
    parser.add_argument("--out", required=True, help="output image (.png or .jpg)")
    parser.set_defaults(run=run)


def parse_focus(text: str) -> tuple[float, float]:
    parts = text.split(",")
    try:
        x, y = (float(part) for part in parts)
    except ValueError:
        message = f"--focus must be X,Y pixel coordinates like 320,240, got {text!r}"
        raise ValueError(message) from None
    return x, y


def run(args: argparse.Namespace) -> int:
    from monocle.apps.bokeh import render
    from monocle.depthmap import DepthMap
    from monocle.io import read_image, write_image

    rgb = read_image(args.image)
    if args.depth is not None:
        depth = DepthMap.load(args.depth, kind=args.depth_kind)
    else:
        from monocle.infer import load

        try:
            predictor = load(args.model, device=args.device)
        except ValueError as err:
            raise ValueError(
                f"cannot predict depth with --model {args.model}: {err}. Pass a depth map "
                "with --depth FILE instead (e.g. one written by `monocle predict`)"
            ) from None
        depth = predictor.infer(rgb)
    focus = parse_focus(args.focus) if args.focus is not None else args.focus_distance
    fnumber = args.fnumber if args.fnumber is not None or args.strength is not None else 1.8
    out = render(rgb, depth, focus, fnumber=fnumber, strength=args.strength,
                 focal_length=args.focal_length, sensor_width=args.sensor_width,
                 aperture=args.aperture, cat_eye=args.cat_eye, highlight_gain=args.highlight_gain,
                 max_radius=args.max_radius, device=args.device)  # fmt: skip
    write_image(args.out, out)
    print(f"wrote {args.out}")
    return 0
