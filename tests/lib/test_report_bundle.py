"""The report's Vega bundle: made by vl-convert once, then read from the cache by later processes."""

from __future__ import annotations

import altair as alt
import vl_convert

from pipelines.lib.report import page


def test_the_bundle_is_kept_under_both_versions_and_read_back(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    page.javascript_bundle.cache_clear()
    try:
        made = page.javascript_bundle()
        vl_version = "_".join(alt.SCHEMA_VERSION.split(".")[:2])
        kept = tmp_path / "mlcost" / f"vega-embed-{vl_convert.__version__}-{vl_version}.js"
        # The cache holds vl-convert's bundle as it made it; the page gets it with "</script" escaped.
        assert kept.read_text(encoding="utf-8") == vl_convert.javascript_bundle(vl_version=vl_version)
        assert made == kept.read_text(encoding="utf-8").replace("</script", "<\\/script")
        assert [p.name for p in kept.parent.iterdir()] == [kept.name]  # no staging file left

        # A later process reads the kept file instead of bundling again.
        kept.write_text("/* kept */ </script>", encoding="utf-8")
        page.javascript_bundle.cache_clear()
        assert page.javascript_bundle() == "/* kept */ <\\/script>"
    finally:
        page.javascript_bundle.cache_clear()


def test_a_cache_that_cannot_be_written_is_skipped(tmp_path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    page.javascript_bundle.cache_clear()
    try:
        assert "vegaEmbed" in page.javascript_bundle()
        assert blocked.read_text() == "not a folder"
    finally:
        page.javascript_bundle.cache_clear()
