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


def test_bd09_round_trip_is_exact_to_a_millimetre():
    glon, glat = np.array([114.0, 114.04, 116.4]), np.array([22.5, 22.52, 39.9])
    back = geo.bd09_to_gcj02(*geo.gcj02_to_bd09(glon, glat))
    assert np.allclose(back, (glon, glat), atol=1e-8)


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


def test_the_older_chinese_datums_and_gauss_kruger_zones_convert_through_proj():
    assert geo.normalize_crs("beijing1954") == "EPSG:4214"
    assert geo.normalize_crs("xian1980") == "EPSG:4610"
    assert geo.normalize_crs("urn:ogc:def:crs:EPSG::4490") == "EPSG:4490"
    assert geo.normalize_crs("EPSG:4326") == "wgs84"
    for crs in ("EPSG:4214", "EPSG:4610", "EPSG:4490"):
        lon, lat = geo.point_to_wgs84(116.4, 39.9, crs)
        assert abs(lon - 116.4) < 0.003 and abs(lat - 39.9) < 0.003  # a datum shift, not a jump
    # zone 39 of the 3-degree CGCS2000 Gauss-Krüger projection (central meridian 117°E)
    x, y = geo.from_wgs84(116.4, 39.9, "EPSG:4527")
    assert 39_400_000 < float(x) < 39_500_000 and 4_400_000 < float(y) < 4_430_000
    lon, lat = geo.point_to_wgs84(float(x), float(y), "EPSG:4527")
    assert (round(lon, 9), round(lat, 9)) == (116.4, 39.9)


def test_an_unknown_coordinate_system_is_refused_with_the_choices():
    with pytest.raises(geo.GeometryError, match="use wgs84, gcj02, bd09, cgcs2000"):
        geo.normalize_crs("mars")
    with pytest.raises(geo.GeometryError, match="not a geographic or projected"):
        geo.normalize_crs("EPSG:4978")  # geocentric
