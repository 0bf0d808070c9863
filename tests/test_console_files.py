"""The console's files: / goes to /console/, screens get index.html, assets are cached long,
and a missing build is a problem+json, not a bare 404."""

import pytest


@pytest.fixture
def dist(app, tmp_path):
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<title>工作台</title>", encoding="utf-8")
    (tmp_path / "assets" / "index-abc.js").write_text("console.log(1)")
    app.config["GRIDGOV_CONSOLE_DIST"] = str(tmp_path)
    yield tmp_path
    app.config.pop("GRIDGOV_CONSOLE_DIST")


def test_the_root_redirects_to_the_console(client, dist):
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/console/"


def test_every_screen_path_is_the_single_page_app(client, dist):
    for path in ("/console/", "/console/map", "/console/persons/12"):
        with client.get(path) as response:
            assert response.status_code == 200, path
            assert "工作台" in response.get_data(as_text=True)
            assert response.headers["Cache-Control"] == "no-cache"


def test_fingerprinted_assets_are_cached_for_a_year(client, dist):
    with client.get("/console/assets/index-abc.js") as response:
        assert response.status_code == 200
        assert "immutable" in response.headers["Cache-Control"]
    missing = client.get("/console/assets/index-old.js")
    assert missing.status_code == 404 and missing.json["code"] == "unknown_asset"


def test_an_unbuilt_console_says_how_to_build_it(app, client, tmp_path):
    app.config["GRIDGOV_CONSOLE_DIST"] = str(tmp_path / "nothing")
    try:
        response = client.get("/console/")
    finally:
        app.config.pop("GRIDGOV_CONSOLE_DIST")
    assert response.status_code == 503
    assert response.json["code"] == "console_not_built"
