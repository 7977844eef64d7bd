"""Registered architectures; importing this package registers every model."""

from monocle.models.architectures.dorn import DORN
from monocle.models.architectures.dpt import DPT
from monocle.models.architectures.fastdepth import FastDepth
from monocle.models.architectures.fcrn import FCRN
from monocle.models.architectures.sanet import SANet
from monocle.models.architectures.unet import UNet

__all__ = ["DORN", "DPT", "FCRN", "FastDepth", "SANet", "UNet"]
