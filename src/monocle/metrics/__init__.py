"""monocle.metrics: the one trusted implementation of depth metrics, alignment and protocols.

Pure functions over one image at a time ((H, W) or (1, H, W) tensors or numpy arrays), computed
in float64, returning Python floats. Masks are explicit; :func:`valid_mask` is the single place
where missing ground truth (0, NaN, inf) is recognised.
"""

from monocle.metrics.accumulator import SUMMARY_METRIC_NAMES, MetricAccumulator, format_table
from monocle.metrics.alignment import ALIGN_MODES, align_depth, solve_scale_shift
from monocle.metrics.boundary import (
    SI_F1_THRESHOLDS,
    boundary_f1,
    dbe,
    depth_edges,
    si_boundary_f1,
    soft_edge_error,
)
from monocle.metrics.depth import (
    DEPTH_METRIC_NAMES,
    abs_rel,
    delta,
    depth_metrics,
    log10,
    rmse,
    rmse_log,
    si_rmse,
    silog_kitti,
    sq_rel,
)
from monocle.metrics.protocols import PROTOCOLS, Protocol, get_protocol
from monocle.metrics.validity import check_prediction, valid_mask

__all__ = [
    "ALIGN_MODES",
    "DEPTH_METRIC_NAMES",
    "PROTOCOLS",
    "SI_F1_THRESHOLDS",
    "SUMMARY_METRIC_NAMES",
    "MetricAccumulator",
    "Protocol",
    "abs_rel",
    "align_depth",
    "boundary_f1",
    "check_prediction",
    "dbe",
    "delta",
    "depth_edges",
    "depth_metrics",
    "format_table",
    "get_protocol",
    "log10",
    "rmse",
    "rmse_log",
    "si_boundary_f1",
    "si_rmse",
    "silog_kitti",
    "soft_edge_error",
    "solve_scale_shift",
    "sq_rel",
    "valid_mask",
]
