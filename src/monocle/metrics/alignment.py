"""Per-image alignment of a prediction to the ground truth before scoring.

Relative models predict depth or disparity up to an unknown scale (and shift); benchmarks fit
those per image on the valid pixels, then score the aligned depth. All fits run in float64.
"""

from __future__ import annotations

import torch

from monocle.metrics.validity import ArrayLike, check_positive, checked_planes

ALIGN_MODES = ("none", "median", "scale", "scale_shift", "scale_shift_disparity")

# A prediction whose spread over the valid pixels is below this fraction of its magnitude is
# treated as constant: its scale would be decided by rounding error.
_DEGENERATE_SPREAD = 1e-12


def solve_scale_shift(
    p: ArrayLike, t: ArrayLike, valid: ArrayLike | None = None
) -> tuple[float, float]:
    """Least-squares scale and shift: argmin over (s, b) of Σ_valid (s·p + b − t)².

    The solution of the 2x2 normal equations [Σp², Σp; Σp, Σ1][s; b] = [Σpt; Σt], written in
    centred form, s = Σ(p − p̄)(t − t̄) / Σ(p − p̄)² and b = t̄ − s·p̄, which is the same solution
    with better conditioning.

    Args:
        p: prediction, any shape.
        t: target, same shape; values outside ``valid`` are ignored (may be inf or NaN).
        valid: optional bool mask, same shape; None uses every element.

    Returns:
        (s, b) as Python floats.

    Raises:
        ValueError: shapes differ, fewer than 2 valid elements, non-finite values inside the
            mask, or a prediction that is constant over the mask.
    """
    p = torch.as_tensor(p).to(torch.float64)
    t = torch.as_tensor(t).to(device=p.device, dtype=torch.float64)
    if p.shape != t.shape:
        raise ValueError(
            f"solve_scale_shift: p has shape {tuple(p.shape)} but t has {tuple(t.shape)}"
        )
    mask = torch.ones_like(p, dtype=torch.bool) if valid is None else torch.as_tensor(valid)
    if mask.shape != p.shape:
        raise ValueError(
            f"solve_scale_shift: valid has shape {tuple(mask.shape)} but p has {tuple(p.shape)}"
        )
    mask = mask.to(p.device) != 0
    pv, tv = p[mask], t[mask]
    if pv.numel() < 2:
        raise ValueError(
            f"cannot fit scale and shift on {pv.numel()} valid pixel(s); at least 2 are needed"
        )
    n_bad = int((~torch.isfinite(pv) | ~torch.isfinite(tv)).sum())
    if n_bad:
        raise ValueError(f"scale-and-shift fit: {n_bad} NaN/inf values inside the valid mask")
    pc = pv - pv.mean()
    spread = (pc * pc).sum()
    if spread <= _DEGENERATE_SPREAD * (pv * pv).sum():
        raise ValueError(
            "cannot fit scale and shift: the prediction is constant over the valid pixels "
            "(a degenerate 2x2 system); check the model output"
        )
    s = (pc * (tv - tv.mean())).sum() / spread
    b = tv.mean() - s * pv.mean()
    return float(s), float(b)


def _median(x: torch.Tensor) -> torch.Tensor:
    # numpy's median (mean of the two middle values for even counts), which monodepth2 uses;
    # torch.median returns the lower one.
    n = x.numel()
    lower = torch.kthvalue(x, (n + 1) // 2).values
    upper = torch.kthvalue(x, n // 2 + 1).values
    return (lower + upper) / 2


def _to_depth(pred: torch.Tensor, mask: torch.Tensor, pred_is_disparity: bool) -> torch.Tensor:
    if not pred_is_disparity:
        return pred
    check_positive(pred, mask, "predicted disparities (they cannot be converted to depth)")
    return 1.0 / pred


def align_depth(
    pred: ArrayLike,
    gt: ArrayLike,
    valid: ArrayLike | None,
    mode: str,
    *,
    pred_is_disparity: bool = False,
    depth_cap: float | None = None,
) -> torch.Tensor:
    """Align a prediction to the ground truth of one image and return it as depth.

    Fitted on ``valid_mask(gt, valid)``, applied to every pixel.

    Modes:
        - ``"none"``: the prediction as depth.
        - ``"median"``: pred · median(gt) / median(pred) (monodepth2; numpy's median).
        - ``"scale"``: least-squares scale in depth, s = Σ pred·gt / Σ pred².
        - ``"scale_shift"``: least-squares scale and shift in depth (:func:`solve_scale_shift`).
        - ``"scale_shift_disparity"``: the MiDaS / Depth Anything protocol (Ranftl's gist, PRO's
          ``compute_scale_and_shift``): target t = 1/gt, p = the prediction as disparity
          (``pred`` if ``pred_is_disparity`` else 1/pred), (s, b) from
          :func:`solve_scale_shift`, aligned disparity s·p + b clamped to ≥ 1/depth_cap when a
          cap is given, returned as 1/aligned.

    The depth-space modes convert a disparity prediction to depth (1/pred) first.

    Args:
        pred: prediction, (H, W) or (1, H, W): depth, or disparity with ``pred_is_disparity``.
        gt: ground-truth depth, same shape.
        valid: optional mask, same shape.
        mode: one of ``ALIGN_MODES``.
        pred_is_disparity: ``pred`` is (affine-invariant) inverse depth.
        depth_cap: optional maximum depth of the result (10 m NYU, 80 m KITTI). In disparity the
            clamp is aligned ≥ 1/depth_cap, which also keeps negative aligned disparities (the
            far field of a relative model) from becoming negative depths.

    Returns:
        aligned depth with the shape of ``pred``; float64 for float64/integer input, else the
        input's floating dtype. Without ``depth_cap``, disparity alignment can yield
        non-positive depths where s·p + b ≤ 0, which :func:`depth_metrics` then rejects.

    Raises:
        ValueError: unknown mode, shape mismatch, NaN/inf or non-positive values at valid
            pixels where they must be converted, no or too few valid pixels, or a constant
            prediction (degenerate fit).
    """
    if mode not in ALIGN_MODES:
        raise ValueError(f"unknown alignment mode {mode!r}; use one of {ALIGN_MODES}")
    if depth_cap is not None and not depth_cap > 0:
        raise ValueError(f"depth_cap must be positive, got {depth_cap}")
    pred_tensor = torch.as_tensor(pred)
    out_dtype = pred_tensor.dtype if pred_tensor.is_floating_point() else torch.float64
    p, g, mask = checked_planes(pred_tensor, gt, valid)

    if mode == "scale_shift_disparity":
        if pred_is_disparity:
            disparity = p
        else:
            check_positive(p, mask)
            disparity = 1.0 / p
        target = torch.where(mask, 1.0 / g, torch.zeros_like(g))
        s, b = solve_scale_shift(disparity, target, mask)
        aligned = s * disparity + b
        if depth_cap is not None:
            aligned = aligned.clamp(min=1.0 / depth_cap)
        depth = 1.0 / aligned
    else:
        depth = _to_depth(p, mask, pred_is_disparity)
        if mode != "none" and not mask.any():
            raise ValueError(f"cannot align with mode {mode!r}: no valid ground-truth pixels")
        if mode == "median":
            check_positive(depth, mask)
            depth = depth * (_median(g[mask]) / _median(depth[mask]))
        elif mode == "scale":
            dv = depth[mask]
            energy = (dv * dv).sum()
            if energy == 0:
                raise ValueError("cannot fit a scale: the prediction is zero at every valid pixel")
            depth = depth * ((dv * g[mask]).sum() / energy)
        elif mode == "scale_shift":
            s, b = solve_scale_shift(depth, g, mask)
            depth = s * depth + b
        if depth_cap is not None:
            depth = depth.clamp(max=depth_cap)
    return depth.reshape(pred_tensor.shape).to(out_dtype)
