"""What the emulated cloud sells: regions, instance types, prices, default capacity and images,
and ``GET /instance-types``, ``GET /images`` and ``GET /regions`` over them.

The tables are plain data, fixed at import time, so every emulator shows the same catalog
whatever its seed; only prices a test sets (:class:`Catalog`) and capacity (the world's) move.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from .routing import Call, Route

if TYPE_CHECKING:
    from .model import Account
    from .world import World

__all__ = [
    "DEFAULT_CAPACITY",
    "DEFAULT_IMAGE_FAMILY",
    "IMAGES",
    "INSTANCE_TYPES",
    "REGIONS",
    "Catalog",
    "Image",
    "InstanceType",
    "images_in",
    "region_json",
]

Architecture = Literal["x86_64", "arm64"]

# The 1.8.3 PublicRegionCode list, in the spec's order.
REGIONS: dict[str, str] = {
    "europe-central-1": "Germany",
    "asia-south-1": "India",
    "australia-east-1": "Australia",
    "me-west-1": "Israel",
    "asia-northeast-1": "Tokyo, Japan",
    "asia-northeast-2": "Seoul, South Korea",
    "us-east-1": "Virginia, USA",
    "us-west-2": "Arizona, USA",
    "us-west-1": "California, USA",
    "us-south-1": "Texas, USA",
    "us-west-3": "Utah, USA",
    "us-midwest-1": "Illinois, USA",
    "us-east-2": "Washington DC, USA",
    "us-south-2": "North Texas, USA",
    "us-south-3": "Central Texas, USA",
    "us-east-3": "Georgia, USA",
    "us-midwest-2": "Ohio, USA",
}


def region_json(name: str) -> dict[str, str]:
    """A Region object: ``{name, description}``."""
    return {"name": name, "description": REGIONS[name]}


@dataclass(frozen=True)
class InstanceType:
    """One instance type as sold."""

    name: str
    description: str
    gpu_description: str
    price_cents_per_hour: int
    vcpus: int
    memory_gib: int
    storage_gib: int
    gpus: int
    architecture: Architecture = "x86_64"

    def to_json(self) -> dict[str, Any]:
        """The InstanceType object (no ``architecture``: the 1.10.0 spec has none)."""
        return {
            "name": self.name,
            "description": self.description,
            "gpu_description": self.gpu_description,
            "price_cents_per_hour": self.price_cents_per_hour,
            "specs": {
                "vcpus": self.vcpus,
                "memory_gib": self.memory_gib,
                "storage_gib": self.storage_gib,
                "gpus": self.gpus,
            },
        }


def _types(*types: InstanceType) -> dict[str, InstanceType]:
    return {t.name: t for t in types}


INSTANCE_TYPES: dict[str, InstanceType] = _types(
    InstanceType(
        name="gpu_1x_a10",
        description="1x A10 (24 GB PCIe)",
        gpu_description="A10 (24 GB PCIe)",
        price_cents_per_hour=75,
        vcpus=30,
        memory_gib=200,
        storage_gib=1400,
        gpus=1,
    ),
    InstanceType(
        name="gpu_1x_a6000",
        description="1x RTX A6000 (48 GB)",
        gpu_description="RTX A6000 (48 GB)",
        price_cents_per_hour=80,
        vcpus=14,
        memory_gib=100,
        storage_gib=512,
        gpus=1,
    ),
    InstanceType(
        name="gpu_1x_a100_sxm4",
        description="1x A100 (40 GB SXM4)",
        gpu_description="A100 (40 GB SXM4)",
        price_cents_per_hour=129,
        vcpus=30,
        memory_gib=200,
        storage_gib=512,
        gpus=1,
    ),
    InstanceType(
        name="gpu_8x_a100_80gb_sxm4",
        description="8x A100 (80 GB SXM4)",
        gpu_description="A100 (80 GB SXM4)",
        price_cents_per_hour=1432,
        vcpus=240,
        memory_gib=1800,
        storage_gib=19560,
        gpus=8,
    ),
    InstanceType(
        name="gpu_1x_h100_pcie",
        description="1x H100 (80 GB PCIe)",
        gpu_description="H100 (80 GB PCIe)",
        price_cents_per_hour=249,
        vcpus=26,
        memory_gib=200,
        storage_gib=1024,
        gpus=1,
    ),
    InstanceType(
        name="gpu_8x_h100_sxm5",
        description="8x H100 (80 GB SXM5)",
        gpu_description="H100 (80 GB SXM5)",
        price_cents_per_hour=2392,
        vcpus=208,
        memory_gib=1800,
        storage_gib=24780,
        gpus=8,
    ),
    InstanceType(
        name="gpu_1x_gh200",
        description="1x GH200 (96 GB)",
        gpu_description="GH200 (96 GB)",
        price_cents_per_hour=149,
        vcpus=64,
        memory_gib=432,
        storage_gib=4096,
        gpus=1,
        architecture="arm64",
    ),
    # Sold out everywhere by default, so a client sees an empty regions list.
    InstanceType(
        name="gpu_8x_b200_sxm6",
        description="8x B200 (180 GB SXM6)",
        gpu_description="B200 (180 GB SXM6)",
        price_cents_per_hour=3992,
        vcpus=208,
        memory_gib=2900,
        storage_gib=22000,
        gpus=8,
    ),
)

# Free slots per (instance type, region). gpu_1x_a10 holds 22 across four regions, none with
# 20, so launching twenty of them has to fall back from one region to the next.
DEFAULT_CAPACITY: dict[tuple[str, str], int] = {
    ("gpu_1x_a10", "us-west-1"): 8,
    ("gpu_1x_a10", "us-east-1"): 6,
    ("gpu_1x_a10", "us-south-1"): 5,
    ("gpu_1x_a10", "europe-central-1"): 3,
    ("gpu_1x_a6000", "us-west-1"): 2,
    ("gpu_1x_a6000", "us-midwest-1"): 3,
    ("gpu_1x_a6000", "asia-south-1"): 2,
    ("gpu_1x_a100_sxm4", "us-east-1"): 4,
    ("gpu_1x_a100_sxm4", "us-west-2"): 3,
    ("gpu_1x_a100_sxm4", "asia-northeast-1"): 2,
    ("gpu_8x_a100_80gb_sxm4", "us-east-1"): 1,
    ("gpu_8x_a100_80gb_sxm4", "us-midwest-1"): 2,
    ("gpu_1x_h100_pcie", "us-west-3"): 3,
    ("gpu_1x_h100_pcie", "us-south-2"): 2,
    ("gpu_8x_h100_sxm5", "us-south-3"): 2,
    ("gpu_8x_h100_sxm5", "us-east-3"): 1,
    ("gpu_1x_gh200", "us-east-3"): 2,
    ("gpu_1x_gh200", "us-west-3"): 2,
}

DEFAULT_IMAGE_FAMILY = "lambda-stack-24-04"


@dataclass(frozen=True)
class Image:
    """One machine image in one region."""

    id: str
    name: str
    description: str
    family: str
    version: str
    architecture: Architecture
    region: str
    created_time: str
    updated_time: str

    def to_json(self) -> dict[str, Any]:
        """The Image object."""
        return {
            "id": self.id,
            "created_time": self.created_time,
            "updated_time": self.updated_time,
            "name": self.name,
            "description": self.description,
            "family": self.family,
            "version": self.version,
            "architecture": self.architecture,
            "region": region_json(self.region),
        }


# (family, version, description, architectures, created, updated)
_IMAGE_FAMILIES: tuple[tuple[str, str, str, tuple[Architecture, ...], str, str], ...] = (
    (
        "lambda-stack-24-04",
        "2025.06.10",
        "Lambda Stack 24.04: Ubuntu 24.04 with NVIDIA drivers, CUDA, PyTorch and TensorFlow",
        ("x86_64", "arm64"),
        "2025-06-10T00:00:00Z",
        "2025-06-12T00:00:00Z",
    ),
    (
        "lambda-stack-22-04",
        "2024.11.04",
        "Lambda Stack 22.04: Ubuntu 22.04 with NVIDIA drivers, CUDA, PyTorch and TensorFlow",
        ("x86_64", "arm64"),
        "2024-11-04T00:00:00Z",
        "2025-01-20T00:00:00Z",
    ),
    (
        "ubuntu-24-04",
        "24.04.1",
        "Ubuntu LTS 24.04 (no GPU drivers)",
        ("x86_64", "arm64"),
        "2024-09-01T00:00:00Z",
        "2024-09-01T00:00:00Z",
    ),
    (
        "ubuntu-22-04",
        "22.04.5",
        "Ubuntu LTS 22.04 (no GPU drivers)",
        ("x86_64",),
        "2024-09-12T00:00:00Z",
        "2024-09-12T00:00:00Z",
    ),
)

_IMAGE_NAMESPACE = uuid.UUID("5b1f8e52-6c1a-4a4e-9c59-4f6d2b0b7a10")


def _build_images() -> list[Image]:
    images: list[Image] = []
    for family, version, description, archs, created, updated in _IMAGE_FAMILIES:
        for arch in archs:
            suffix = "" if arch == "x86_64" else "-arm64"
            name = f"{family}-{version}{suffix}"
            for region in REGIONS:
                # Stable ids: the same image has the same id in every run, whatever the seed.
                image_id = str(uuid.uuid5(_IMAGE_NAMESPACE, f"{name}/{region}"))
                images.append(
                    Image(
                        id=image_id,
                        name=name,
                        description=description,
                        family=family,
                        version=version,
                        architecture=arch,
                        region=region,
                        created_time=created,
                        updated_time=updated,
                    )
                )
    return images


IMAGES: list[Image] = _build_images()


def images_in(region: str) -> list[Image]:
    """The images offered in ``region``."""
    return [image for image in IMAGES if image.region == region]


class Catalog:
    """The catalog endpoints, and the prices a test has set (served in place of the table's)."""

    def __init__(self, world: World) -> None:
        self.world = world
        self._prices: dict[str, object] = {}  # any JSON value, served as given

    def routes(self) -> list[Route]:
        return [
            Route("GET", "/instance-types", self._instance_types),
            Route("GET", "/images", self._images),
            Route("GET", "/regions", self._regions),
        ]

    def set_price(self, type_name: str, price: object) -> None:
        if type_name not in INSTANCE_TYPES:
            raise ValueError(f"unknown instance type {type_name!r}")
        with self.world.lock:
            self._prices[type_name] = price

    def price(self, type_name: str) -> object:
        """What ``type_name`` costs now, in US cents per hour."""
        with self.world.lock:
            return self._prices.get(type_name, INSTANCE_TYPES[type_name].price_cents_per_hour)

    def _type_json(self, itype: InstanceType) -> dict[str, Any]:
        """The InstanceType object at today's price."""
        shown = itype.to_json()
        shown["price_cents_per_hour"] = self.price(itype.name)
        return shown

    def instance_types(self, account: Account) -> dict[str, Any]:
        """Every type with the regions that have a free slot; the account remembers what it
        was shown (for ``emu.launch_attempts()``)."""
        with self.world.lock:
            available = self.world.available()
            account.listed_capacity = available
            return {
                name: {
                    "instance_type": self._type_json(itype),
                    "regions_with_capacity_available": [
                        region_json(region) for region in REGIONS if (name, region) in available
                    ],
                }
                for name, itype in INSTANCE_TYPES.items()
            }

    def _instance_types(self, call: Call) -> dict[str, Any]:
        return self.instance_types(call.account)

    def _images(self, call: Call) -> list[dict[str, Any]]:
        return [image.to_json() for image in IMAGES]

    def _regions(self, call: Call) -> list[dict[str, str]]:
        return [region_json(region) for region in REGIONS]
