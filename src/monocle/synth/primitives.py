"""Ray–primitive intersection and surface normals, batched over (ray, primitive) pairs.

Every function takes ray origins ``o`` (...,3), unit directions ``d`` (...,3) and primitive
parameters ``origin`` (...,3), ``frame`` (...,3,3), ``size`` (...,3) in the layout of
:mod:`monocle.synth.scene`; leading dimensions broadcast (the caster passes packets of rays
(M,P,3) against one primitive each (M,1,3)). ``intersect_*`` return the nearest hit distance
t (...) with t > ``T_MIN``, or +inf for a miss. Quadrics re-centre the ray origin near the
primitive first: float32 then keeps millimetre accuracy at 100 m instead of losing it to
cancellation in ``|o - c|^2 - r^2``.
"""

from __future__ import annotations

import torch

T_MIN = 1e-4
INF = float("inf")


def dot(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Row-wise dot product (...,3),(...,3) -> (...). Written out so results are bit-stable;
    summed in place, which saves two temporaries of the (pairs, rays) size."""
    total = a[..., 0] * b[..., 0]
    total.add_(a[..., 1] * b[..., 1])
    return total.add_(a[..., 2] * b[..., 2])


def take(values: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """``values[index]`` for an integer ``index`` of any shape: rows of ``values`` gathered
    with ``index_select``, which on CPU is several times faster than advanced indexing."""
    picked = values.index_select(0, index.reshape(-1))
    return picked.view(*index.shape, *values.shape[1:])


def _hit_or_inf(hit: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    return torch.where(hit & (t > T_MIN), t, INF)


def intersect_quad(o, d, origin, frame, size):
    normal = frame[..., 2]
    denom = dot(d, normal)
    safe = torch.where(denom.abs() < 1e-12, 1e-12, denom)
    t = dot(origin - o, normal) / safe
    local = (t[..., None] * d).add_(o).sub_(origin)
    hit = (dot(local, frame[..., 0]).abs() <= size[..., 0]) & (
        dot(local, frame[..., 1]).abs() <= size[..., 1]
    )
    return _hit_or_inf(hit & (denom.abs() >= 1e-12), t)


def intersect_box(o, d, origin, frame, size):
    rel = o - origin
    # Slab by slab on (...) tensors: stacking the three axes and reducing over a size-3 dim
    # costs twice as much in torch, and min/max give the same bits either way.
    t_near = t_far = None
    for i in range(3):
        axis, half = frame[..., i], size[..., i]
        o_local, d_local = dot(rel, axis), dot(d, axis)
        d_local = torch.where(d_local.abs() < 1e-12, 1e-12, d_local)
        inv = 1.0 / d_local
        t1, t2 = (-half - o_local) * inv, (half - o_local) * inv
        lo, hi = torch.minimum(t1, t2), torch.maximum(t1, t2)
        t_near = lo if t_near is None else torch.maximum(t_near, lo)
        t_far = hi if t_far is None else torch.minimum(t_far, hi)
    t = torch.where(t_near > T_MIN, t_near, t_far)
    return _hit_or_inf(t_near <= t_far, t)


def intersect_sphere(o, d, origin, frame, size):
    radius = size[..., 0]
    to_centre = origin - o
    along = dot(to_centre, d)
    closest = to_centre - along[..., None] * d
    h = radius * radius - dot(closest, closest)
    s = torch.sqrt(h.clamp_min(0.0))
    t = torch.where(along - s > T_MIN, along - s, along + s)
    return _hit_or_inf(h >= 0, t)


def _recentre(o, d, origin, frame, size):
    """Move each ray origin along the ray to the point closest to the segment's middle."""
    middle = origin + frame[..., 2] * (0.5 * size[..., 1:2])
    shift = dot(middle - o, d)
    return o + shift[..., None] * d, shift


def intersect_capsule(o, d, origin, frame, size):
    o2, shift = _recentre(o, d, origin, frame, size)
    radius, length, axis = size[..., 0], size[..., 1], frame[..., 2]
    oa = o2 - origin
    bard, baoa = dot(axis, d), dot(axis, oa)
    a_coef = 1.0 - bard * bard
    b_coef = dot(d, oa) - baoa * bard
    c_coef = dot(oa, oa) - baoa * baoa - radius * radius
    h = b_coef * b_coef - a_coef * c_coef
    parallel = a_coef < 1e-9
    t_body = (-b_coef - torch.sqrt(h.clamp_min(0.0))) / torch.where(parallel, 1.0, a_coef)
    y = baoa + t_body * bard
    y = torch.where(parallel, torch.where(bard > 0, -1.0, length + 1.0), y)
    body = (y > 0) & (y < length) & ~parallel
    cap_centre = torch.where((y <= 0)[..., None], origin, origin + axis * length[..., None])
    oc = o2 - cap_centre
    b_cap = dot(d, oc)
    h_cap = b_cap * b_cap - (dot(oc, oc) - radius * radius)
    t_cap = -b_cap - torch.sqrt(h_cap.clamp_min(0.0))
    t = torch.where(body, t_body, t_cap) + shift
    return _hit_or_inf((h >= 0) & (body | (h_cap > 0)), t)


def intersect_cylinder(o, d, origin, frame, size):
    o2, shift = _recentre(o, d, origin, frame, size)
    radius, length, axis = size[..., 0], size[..., 1], frame[..., 2]
    oc = o2 - origin
    bard, baoc = dot(axis, d), dot(axis, oc)
    k2 = 1.0 - bard * bard
    k1 = dot(oc, d) - baoc * bard
    k0 = dot(oc, oc) - baoc * baoc - radius * radius
    h = k1 * k1 - k2 * k0
    root = torch.sqrt(h.clamp_min(0.0))
    parallel = k2 < 1e-9
    t_body = (-k1 - root) / torch.where(parallel, 1.0, k2)
    y = baoc + t_body * bard
    y = torch.where(parallel, torch.where(bard > 0, -1.0, length + 1.0), y)
    body = (y > 0) & (y < length) & ~parallel
    safe_bard = torch.where(bard.abs() < 1e-12, 1e-12, bard)
    t_cap = (torch.where(y < 0, 0.0, length) - baoc) / safe_bard
    # Rays parallel to the axis hit a cap exactly when they pass inside the radius (k0 < 0).
    cap = torch.where(parallel, k0 < 0, (k1 + k2 * t_cap).abs() < root)
    t = torch.where(body, t_body, t_cap) + shift
    return _hit_or_inf((h >= 0) & (body | cap), t)


INTERSECT = (intersect_quad, intersect_box, intersect_sphere, intersect_capsule, intersect_cylinder)


def surface_normal(kind: int, p, d, origin, frame, size) -> torch.Tensor:
    """Unit world normal (M,3) at hit points ``p`` of primitives of one ``kind`` (index into
    :data:`monocle.synth.scene.KINDS`), flipped to face the incoming ray ``d``."""
    if kind == 0:
        normal = frame[..., 2]
    elif kind == 1:
        rel = p - origin
        local = torch.stack([dot(rel, frame[..., i]) for i in range(3)], dim=-1)
        axis = (local.abs() / size.clamp_min(1e-9)).argmax(dim=-1)
        sign = torch.sign(torch.gather(local, 1, axis[:, None]))
        normal = torch.gather(frame, 2, axis[:, None, None].expand(-1, 3, 1))[..., 0] * sign
    elif kind == 2:
        normal = p - origin
    else:
        axis, radius, length = frame[..., 2], size[..., 0], size[..., 1]
        y = dot(p - origin, axis)
        radial = p - origin - y[:, None] * axis
        normal = p - origin - torch.minimum(y.clamp_min(0.0), length)[:, None] * axis
        if kind == 4:
            cap_gap = torch.minimum(y.abs(), (y - length).abs())
            radial_gap = (torch.linalg.vector_norm(radial, dim=-1) - radius).abs()
            cap_sign = torch.where(y < 0.5 * length, -1.0, 1.0)[:, None]
            normal = torch.where((cap_gap < radial_gap)[:, None], axis * cap_sign, radial)
    normal = normal / torch.linalg.vector_norm(normal, dim=-1, keepdim=True).clamp_min(1e-12)
    return torch.where((dot(normal, d) > 0)[:, None], -normal, normal)
