"""``make_photo3d``: one photo and its depth in, a layered mesh and a camera path out;
``render_path`` and ``write_photo3d`` turn that into frames, MP4, GIF, GLB and a web viewer."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from monocle.apps.photo3d.depth_input import (
    as_depthmap,
    check_image,
    default_intrinsics,
    planar_depth,
    predict_depth,
    subject_mask,
)
from monocle.apps.photo3d.edges import DEPTH_THRESHOLD
from monocle.apps.photo3d.layers import (
    Inpainter,
    LayeredDepth,
    build_layers,
    classical_inpainter,
)
from monocle.apps.photo3d.mesh import Mesh, build_mesh, export_mesh
from monocle.apps.photo3d.paths import DEFAULT_FPS, DEFAULT_FRAMES, CameraPath, camera_path
from monocle.apps.photo3d.render_torch import Frame, TorchRenderer
from monocle.apps.photo3d.video import depth_fog, write_gif, write_mp4

INPAINTERS = ("auto", "classical", "learned")
RENDERERS = ("auto", "egl", "torch")


@dataclass
class Photo3D:
    """A 3D photo ready to render.

    Attributes:
        image: uint8 (H, W, 3) the input photo.
        K: float32 (3, 3) its intrinsics.
        layers: the layered depth image (padded by ``layers.margin``).
        mesh: the textured mesh in the source camera's frame.
        path: the camera path.
        depth_source: where the depth came from, in words.
        inpainter: "classical", "learned", or the name of a caller's own inpainter.
        notes: things a user should know (an empty mask, no discontinuity...).
        seconds: wall time of each stage.
    """

    image: np.ndarray
    K: np.ndarray
    layers: LayeredDepth
    mesh: Mesh
    path: CameraPath
    depth_source: str
    inpainter: str
    notes: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def size(self) -> tuple[int, int]:
        return self.image.shape[:2]  # type: ignore[return-value]


def resolve_inpainter(name: str | Inpainter) -> tuple[Inpainter, str]:
    """(inpainter, its name) for ``name`` in :data:`INPAINTERS`, or a caller's own callable
    (its ``__name__``, else its class name).

    "auto" picks the learned network only when its shipped metadata says it beat the classical
    method on the benchmark (``"default": true``), else OpenCV's Telea inpainting.
    """
    from monocle.apps.photo3d import inpaint_net

    if callable(name):
        return name, getattr(name, "__name__", type(name).__name__)
    if name not in INPAINTERS:
        raise ValueError(f"unknown inpainter {name!r}; choose one of {', '.join(INPAINTERS)}")
    if name == "classical" or (name == "auto" and not inpaint_net.shipped_is_default()):
        return classical_inpainter, "classical"
    return inpaint_net.load_inpainter(), "learned"


def make_photo3d(
    image: np.ndarray,
    depth=None,
    *,
    model: str = "default",
    K: np.ndarray | None = None,
    mask=None,
    path: str = "circle",
    frames: int = DEFAULT_FRAMES,
    fps: float = DEFAULT_FPS,
    amplitude: float = 1.0,
    inpaint: str | Inpainter = "auto",
    threshold: float = DEPTH_THRESHOLD,
    sharpen: bool | None = None,
    simplify: bool = True,
    layered: bool = True,
) -> Photo3D:
    """Build a 3D photo from ``image`` (uint8 (H, W, 3)) and its depth.

    Args:
        depth: a DepthMap, an (H, W) metric depth array, or a depth file; None runs ``model``.
        model: depth model name or checkpoint used when ``depth`` is None.
        K: intrinsics of ``image``; default f = max(H, W), centred principal point.
        mask: optional subject mask (bool (H, W) array or image file, white = subject); its
            outline is always a depth discontinuity.
        path: camera path, one of :data:`.paths.PATHS`; ``frames``, ``fps``, ``amplitude``.
        inpaint: "auto", "classical" or "learned" colour inpainting, or your own callable
            ``(rgb, hole, disparity, background_disparity) -> rgb`` on the padded grid (uint8
            (H, W, 3), bool (H, W), two float (H, W) disparities). ``hole`` marks what it must
            treat as unknown: the synthesis region plus the foreground beside it, so that no
            fill copies the foreground behind itself; the result is kept on the synthesis
            region.
        threshold: disparity step of a discontinuity (methods.md §2).
        sharpen: snap pixels floating between layers before cutting and move the soft
            edges onto the photo's colour edges (:func:`.snap_edges_to_colour`); None
            (default) sharpens predicted, relative and disparity depth (soft network edges)
            and leaves metric depth as it is (a sensor's or renderer's sliver pixels are real
            surfaces).
        simplify: merge flat regions of the mesh, as far as ``path`` cannot show (fewer
            triangles, same silhouettes).
        layered: False builds the naive single uncut mesh (a baseline, no inpainting).
    """
    image = check_image(image)
    size = image.shape[:2]
    K = default_intrinsics(size) if K is None else np.asarray(K, dtype=np.float32)
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    if depth is None:
        depth_map = predict_depth(image, model, K)
        source = f"model {model}"
        seconds["depth prediction"] = time.perf_counter() - start
    else:
        depth_map = as_depthmap(depth)
        source = f"{depth_map.kind} depth map"
    if sharpen is None:
        sharpen = depth is None or depth_map.kind != "metric"
    z, _ = planar_depth(depth_map, size)
    subject = subject_mask(mask, size)
    notes = []
    if mask is not None and (not subject.any() or subject.all()):
        notes.append(
            "the subject mask is all "
            + ("ones" if subject.all() else "zeros")
            + "; it adds no edge, so layering follows the depth alone"
        )
    near = float(z.min())
    focus = float(z[size[0] // 2, size[1] // 2])
    camera = camera_path(
        path, K, near_depth=near, focus_depth=focus, frames=frames, fps=fps, amplitude=amplitude
    )
    inpainter, inpainter_name = resolve_inpainter(inpaint)
    stage = time.perf_counter()
    layers = build_layers(
        image,
        z,
        K,
        camera,
        threshold=threshold if layered else np.inf,
        subject=subject if layered else None,
        sharpen=sharpen and layered,
        inpainter=inpainter,
    )
    seconds["layers"] = time.perf_counter() - stage
    if layered and layers.cuts.count() == 0:
        notes.append("the depth map has no discontinuity: the 3D photo is one surface")
    stage = time.perf_counter()
    mesh = build_mesh(layers, simplify=simplify, backstop=layered, path=camera)
    seconds["mesh"] = time.perf_counter() - stage
    seconds["total"] = time.perf_counter() - start
    return Photo3D(
        image=image,
        K=K,
        layers=layers,
        mesh=mesh,
        path=camera,
        depth_source=source,
        inpainter=inpainter_name if layered else "none",
        notes=notes,
        seconds=seconds,
    )


def open_renderer(mesh: Mesh, size: tuple[int, int], renderer: str = "auto"):
    """A renderer for ``mesh``: "egl" (moderngl), "torch", or "auto" (EGL, else torch).

    The returned object has ``name``, ``render(pose, K) -> Frame`` and ``close()``.
    """
    if renderer not in RENDERERS:
        raise ValueError(f"unknown renderer {renderer!r}; choose one of {', '.join(RENDERERS)}")
    if renderer in ("auto", "egl"):
        from monocle.apps.photo3d.render_gl import GLRenderer

        try:
            return GLRenderer(mesh, size)
        except RuntimeError as err:
            if renderer == "egl":
                raise ValueError(
                    f"the EGL renderer is unavailable: {err}. Install moderngl and the EGL "
                    "libraries (Debian: apt-get install libegl1 libegl-mesa0 libgl1-mesa-dri) "
                    "or use renderer='torch'"
                ) from None
    return TorchRenderer(mesh, size)


def render_path(
    photo: Photo3D,
    renderer: str = "auto",
    *,
    fog: float = 0.0,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[list[Frame], str]:
    """Render every camera of ``photo.path``; returns the frames and the renderer's name.

    ``fog`` > 0 fades far pixels towards a haze (density of :func:`.video.depth_fog`).
    """
    engine = open_renderer(photo.mesh, photo.size, renderer)
    near, far = photo.mesh.depth_range
    frames = []
    try:
        for index, (pose, K) in enumerate(
            zip(photo.path.poses, photo.path.intrinsics, strict=True)
        ):
            frame = engine.render(pose, K)
            if fog > 0:
                frame = Frame(
                    depth_fog(frame.rgb, frame.depth, near, far, fog), frame.depth, frame.covered
                )
            frames.append(frame)
            if progress is not None:
                progress(index + 1, len(photo.path))
    finally:
        engine.close()
    return frames, engine.name


def write_photo3d(
    photo: Photo3D,
    out_dir: str | Path,
    *,
    renderer: str = "auto",
    fog: float = 0.0,
    outputs: tuple[str, ...] = ("mp4", "gif", "glb", "html"),
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Write the chosen ``outputs`` ("mp4", "gif", "glb", "ply", "html") into ``out_dir``.

    Returns {"files": {kind: path}, "renderer": name or None, "uncovered_pixels": int}.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"{out} exists and is not a folder; pick another --out")
    out.mkdir(parents=True, exist_ok=True)
    unknown = set(outputs) - {"mp4", "gif", "glb", "ply", "html"}
    if unknown:
        raise ValueError(f"unknown outputs {sorted(unknown)}; choose from mp4, gif, glb, ply, html")
    files: dict[str, Path] = {}
    result = {"files": files, "renderer": None, "uncovered_pixels": 0}
    name = photo.path.name
    if "mp4" in outputs or "gif" in outputs:
        frames, result["renderer"] = render_path(photo, renderer, fog=fog, progress=progress)
        result["uncovered_pixels"] = int(sum(int((~f.covered).sum()) for f in frames))
        rgb = [f.rgb for f in frames]
        if "mp4" in outputs:
            files["mp4"] = write_mp4(rgb, out / f"photo3d_{name}.mp4", photo.path.fps)
        if "gif" in outputs:
            files["gif"] = write_gif(rgb, out / f"photo3d_{name}.gif", photo.path.fps)
    if "glb" in outputs:
        files["glb"] = export_mesh(photo.mesh, out / "photo3d.glb")
    if "ply" in outputs:
        files["ply"] = export_mesh(photo.mesh, out / "photo3d.ply")
    if "html" in outputs:
        from monocle.apps.photo3d.viewer import write_viewer

        files["html"] = write_viewer(photo, out / "photo3d.html")
    return result
