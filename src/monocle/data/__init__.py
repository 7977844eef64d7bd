"""Datasets in one contract, geometry-aware transforms, multi-dataset sampling and a data checker.

Every dataset yields ``{"image", "depth", "valid", "K", "meta"}`` (see
:mod:`monocle.data.base` and docs/data.md); :func:`build_dataset` builds one from a spec string
such as ``"nyu_mat:/data/nyu_depth_v2_labeled.mat?crop=eigen"`` or a plain folder.
"""

from __future__ import annotations

from monocle.data.base import DatasetError, DepthDataset, default_intrinsics, valid_depth_mask
from monocle.data.check import DataReport, Problem, check_dataset
from monocle.data.folder import FolderDataset
from monocle.data.geometry import (
    crop_intrinsics,
    crop_sample,
    flip_intrinsics,
    hflip_sample,
    resize_nearest_valid,
    resize_sample,
    rotate_sample,
    scale_intrinsics,
)
from monocle.data.kitti import KittiDataset, read_kitti_calib
from monocle.data.nyu import NYU_CROPS, NYU_K, NyuFolderDataset, NyuMatDataset, read_nyu_splits
from monocle.data.sampling import (
    BalancedSampler,
    IncrementalSchedule,
    MixedDataset,
    build_mixture,
    collate_common,
)
from monocle.data.spec import DATASET_TYPES, build_dataset, detect_type, parse_spec
from monocle.data.stereo import Eth3dDataset, MiddleburyDataset
from monocle.data.synth_folder import SyntheticFolderDataset, decode_normals
from monocle.data.transforms import (
    CenterCrop,
    ColorJitter,
    Compose,
    RandomHorizontalFlip,
    RandomResizedCrop,
    RandomRotation,
    Resize,
    build_transforms,
)
from monocle.data.tum import TumDataset, associate_timestamps, read_tum_list, tum_intrinsics

__all__ = [
    "DATASET_TYPES",
    "NYU_CROPS",
    "NYU_K",
    "BalancedSampler",
    "CenterCrop",
    "ColorJitter",
    "Compose",
    "DataReport",
    "DatasetError",
    "DepthDataset",
    "Eth3dDataset",
    "FolderDataset",
    "IncrementalSchedule",
    "KittiDataset",
    "MiddleburyDataset",
    "MixedDataset",
    "NyuFolderDataset",
    "NyuMatDataset",
    "Problem",
    "RandomHorizontalFlip",
    "RandomResizedCrop",
    "RandomRotation",
    "Resize",
    "SyntheticFolderDataset",
    "TumDataset",
    "associate_timestamps",
    "build_dataset",
    "build_mixture",
    "build_transforms",
    "check_dataset",
    "collate_common",
    "crop_intrinsics",
    "crop_sample",
    "decode_normals",
    "default_intrinsics",
    "detect_type",
    "flip_intrinsics",
    "hflip_sample",
    "parse_spec",
    "read_kitti_calib",
    "read_nyu_splits",
    "read_tum_list",
    "resize_nearest_valid",
    "resize_sample",
    "rotate_sample",
    "scale_intrinsics",
    "tum_intrinsics",
    "valid_depth_mask",
]
