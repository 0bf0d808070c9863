import numpy as np
import pytest

from gridgov import geo


def test_gcj02_to_wgs84_matches_a_published_reference_point():
    lon, lat = geo.gcj02_to_wgs84(123.0, 45.0)
    assert lon == pytest.approx(122.99395597, abs=1e-5)
    assert lat == pytest.approx(44.99804071, abs=1e-5)


def test_gcj02_to_bd09_matches_a_published_reference_point():
    lon, lat = geo.gcj02_to_bd09(123.0, 45.0)
    assert lon == pytest.approx(123.00636499, abs=1e-5)
    assert lat == pytest.approx(45.00636899, abs=1e-5)


def test_gcj02_round_trip_is_exact_to_a_millimetre():
    wlon, wlat = np.array([114.1, 116.4, 121.5]), np.array([22.55, 39.9, 31.2])
    back = geo.gcj02_to_wgs84(*geo.wgs84_to_gcj02(wlon, wlat))
    assert np.allclose(back, (wlon, wlat), atol=1e-8)


def test_shenzhen_is_offset_by_hundreds_of_metres_in_gcj02():
    glon, glat = geo.wgs84_to_gcj02(114.1, 22.55)
    metres = np.hypot((glon - 114.1) * 102_800, (glat - 22.55) * 110_800)
    assert 300 < metres < 700


def test_bd09_converts_through_gcj02_to_wgs84():
    glon, glat = geo.wgs84_to_gcj02(114.1, 22.55)
    blon, blat = geo.gcj02_to_bd09(glon, glat)
    assert geo.point_to_wgs84(float(blon), float(blat), "bd09") == pytest.approx(
        (114.1, 22.55), abs=1e-6
    )


def test_points_outside_china_are_not_shifted():
    assert geo.point_to_wgs84(2.35, 48.85, "gcj02") == (2.35, 48.85)


def test_self_intersecting_polygon_is_rejected_with_the_reason():
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    with pytest.raises(geo.GeometryError, match="Self-intersection"):
        geo.parse_area_geometry(bowtie, "wgs84", "cell")


def test_a_point_geometry_is_not_an_area():
    with pytest.raises(geo.GeometryError, match="Polygon or MultiPolygon, not Point"):
        geo.parse_area_geometry({"type": "Point", "coordinates": [1, 2]}, "wgs84", "cell")
