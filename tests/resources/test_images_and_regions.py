"""``client.images`` and ``client.regions``, and launching from a chosen image."""

from __future__ import annotations

import pytest

from lambda_cloud import (
    Image,
    ImageArchitecture,
    ImageSpecificationFamily,
    ImageSpecificationID,
    NotFoundError,
    Region,
)

from .conftest import Api, launch


async def test_regions(api: Api) -> None:
    regions = await api(lambda c: c.regions.list())
    assert all(isinstance(region, Region) for region in regions)
    assert Region(name="us-west-1", description="California, USA") in regions
    assert len({region.name for region in regions}) == len(regions)


async def test_images(api: Api) -> None:
    images = await api(lambda c: c.images.list())
    assert images and all(isinstance(image, Image) for image in images)
    assert {image.architecture for image in images} == {
        ImageArchitecture.X86_64,
        ImageArchitecture.ARM64,
    }
    region_names = {region.name for region in await api(lambda c: c.regions.list())}
    for image in images:
        assert image.region.name in region_names
        assert image.created_time.tzinfo is not None
        assert image.created_time <= image.updated_time


async def test_launch_from_an_image_by_id_or_family(api: Api) -> None:
    image = next(
        image
        for image in await api(lambda c: c.images.list())
        if image.region.name == "us-west-1" and image.architecture is ImageArchitecture.X86_64
    )
    assert await launch(api, image=ImageSpecificationID(id=image.id))
    assert await launch(api, image=ImageSpecificationFamily(family=image.family))
    with pytest.raises(NotFoundError) as caught:
        await launch(api, image=ImageSpecificationID(id="00000000-0000-0000-0000-000000000000"))
    assert caught.value.code == "global/object-does-not-exist"
