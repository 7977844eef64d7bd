"""`monocle photo3d`: a moving 3D photo (MP4, GIF, GLB, web viewer) from one image."""

from __future__ import annotations

import argparse

PATH_NAMES = ("circle", "swing", "zoom", "dolly")
OUTPUTS = ("mp4", "gif", "glb", "ply", "html")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "photo3d",
        help="turn one photo into a moving 3D photo (video, GIF, GLB, web viewer)",
        description="Cut the photo into layers at its depth edges, inpaint what the foreground "
        "hides, build a mesh and render a camera path headless (OpenGL over EGL, or a pure "
        "torch rasteriser). Depth comes from --depth, else from the depth model --model.",
    )
    parser.add_argument("image", help="input photo")
    parser.add_argument(
        "--depth",
        metavar="FILE",
        help="depth map of the photo (any monocle depth format); default: predict it with --model",
    )
    parser.add_argument(
        "--depth-kind",
        choices=("metric", "relative", "disparity"),
        help="what a depth file holds when it does not say (.npy, .pfm)",
    )
    parser.add_argument("--model", default="default", help="depth model name or checkpoint")
    parser.add_argument("--mask", metavar="FILE", help="subject mask image (white = subject)")
    parser.add_argument("--path", default="circle", choices=PATH_NAMES, help="camera path")
    parser.add_argument("--frames", type=int, default=240, help="frames (default 240)")
    parser.add_argument("--fps", type=float, default=40.0, help="frames per second (40)")
    parser.add_argument(
        "--amplitude",
        type=float,
        default=1.0,
        help="scale of the camera motion (1 = 3d-photo-inpainting's)",
    )
    parser.add_argument("--inpaint", default="auto", choices=("auto", "classical", "learned"))
    parser.add_argument("--renderer", default="auto", choices=("auto", "egl", "torch"))
    parser.add_argument("--fog", type=float, default=0.0, help="depth fog density (0 = off)")
    parser.add_argument(
        "--outputs", default="mp4,gif,glb,html", help=f"comma-separated, from {','.join(OUTPUTS)}"
    )
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from monocle.apps.photo3d import make_photo3d, write_photo3d
    from monocle.depthmap import DepthMap
    from monocle.io import read_image

    outputs = tuple(x.strip() for x in args.outputs.split(",") if x.strip())
    image = read_image(args.image)
    depth = None
    if args.depth is not None:
        depth = DepthMap.load(args.depth, kind=args.depth_kind) if args.depth_kind else args.depth
    photo = make_photo3d(
        image,
        depth,
        model=args.model,
        mask=args.mask,
        path=args.path,
        frames=args.frames,
        fps=args.fps,
        amplitude=args.amplitude,
        inpaint=args.inpaint,
    )
    with tqdm(total=len(photo.path), unit="frame", desc=f"photo3d {args.path}") as bar:
        result = write_photo3d(
            photo,
            args.out,
            renderer=args.renderer,
            fog=args.fog,
            outputs=outputs,
            progress=lambda done, total: bar.update(done - bar.n),
        )
    print(
        f"depth: {photo.depth_source}; inpainting: {photo.inpainter}; "
        f"renderer: {result['renderer'] or 'none'}; {len(photo.mesh.faces)} triangles; "
        f"built in {photo.seconds['total']:.1f} s"
    )
    for note in photo.notes:
        print(f"note: {note}")
    for kind, path in result["files"].items():
        print(f"wrote {kind}: {path}")
    return 0
