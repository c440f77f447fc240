"""The cost report on the sample marts (tests/transform/conftest.py): the Dagster asset and `mlcost
report` write one self-contained HTML file, every chart draws in a real headless Chromium with no
console error and no request leaving the file, and a mart the warehouse lacks is one line, not a
failure."""

from __future__ import annotations

import io
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines import cli
from pipelines.defs.report import cost_report
from pipelines.lib import published
from pipelines.lib.report import report_path
from pipelines.lib.report.build import write_report
from pipelines.lib.report.sections import SECTIONS

pytestmark = pytest.mark.slow

# A drawn chart has axes, labels, marks in several colours and anti-aliased edges: hundreds of distinct
# colours. A blank or failed one is the page's background and a line of text: a few dozen at most.
MIN_CHART_COLOURS = 64
# Its marks are in colour, where axes, grid and text are grey: on the sample marts at least 0.26% of a
# chart's pixels are saturated (three training jobs); a chart with axes but no marks has next to none.
MIN_COLOURED_SHARE = 0.001
BROWSER_ARGS = [
    "--headless",
    "--disable-gpu",
    "--no-first-run",
    # The machine's network is closed: nothing may try to reach it (the report itself never does).
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def on_built(built, monkeypatch) -> Path:
    """This test's settings pointed at the session's sample warehouse and its published copy."""
    _, warehouse = built
    monkeypatch.setenv("WAREHOUSE_PATH", str(warehouse))
    monkeypatch.delenv("MARTS_READ_PATH", raising=False)
    monkeypatch.delenv("MLCOST_REPORT_PATH", raising=False)
    return warehouse


def chromium() -> str:
    """Debian's Chromium (`make browser` installs it); the test skips, saying so, where there is none."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip(
        "no Chromium on this machine: `make browser` installs Debian's chromium (needs apt-get as root)"
    )


def data_rows(spec) -> list[dict]:
    """Every inline data row of a Vega-Lite spec, in any layer, concatenation or facet."""
    if isinstance(spec, list):
        return [row for item in spec for row in data_rows(item)]
    if not isinstance(spec, dict):
        return []
    rows = list(spec["data"].get("values", [])) if isinstance(spec.get("data"), dict) else []
    return rows + [row for key, value in spec.items() if key != "data" for row in data_rows(value)]


class ResourceTags(HTMLParser):
    """The URLs an HTML page would load: src and href attributes (script text is not parsed)."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.urls.extend(value for name, value in attrs if name in ("src", "href") and value)


def test_report_asset_writes_one_offline_html_file_and_links_to_it(on_built, tmp_path):
    with dg.instance_for_test() as instance:
        result = dg.materialize([cost_report], instance=instance)
    assert result.success
    path = report_path()
    assert path == on_built.with_name("warehouse.report.html")
    (event,) = result.get_asset_materialization_events()
    metadata = event.materialization.metadata
    assert metadata["path"].value == str(path)
    assert metadata["url"].value == path.as_uri()
    assert metadata["bytes"].value == path.stat().st_size
    assert metadata["sections"].value == len(SECTIONS)
    assert metadata["charts"].value >= 7
    html = path.read_text()
    # Self-contained: nothing to load but the page's own anchors; the Vega libraries are inlined.
    parser = ResourceTags()
    parser.feed(html)
    assert parser.urls == [f"#{section.id}" for section in SECTIONS]
    assert "vegaEmbed" in html and html.count("<section id=") == len(SECTIONS)
    # Money as money and shares with their % sign: the sample's budget "everything" of 1,000 USD.
    budget = html.split('<section id="budget">')[1].split("</section>")[0]
    assert "<td>everything (all spend)</td>" in budget
    assert '<td class="num">$1,000.00</td>' in budget
    assert re.search(r'<td class="num">\$[\d,]+\.\d\d · \d+%</td>', budget)


def test_days_without_a_cost_per_prediction_are_gaps_with_their_reason_never_zero(on_built, tmp_path):
    sections = write_report(tmp_path / "report.html").sections
    rendered = next(section for section in sections if section.id == "cost-per-prediction")
    rows = data_rows(rendered.spec)
    unknown = [row for row in rows if row["reason"] is not None]
    known = [row for row in rows if row["reason"] is None]
    assert unknown and known
    assert all(row["cost_per_1k_predictions"] is None for row in unknown)
    assert all(row["cost_per_1k_predictions"] > 0 for row in known)
    assert {"bill_not_complete"} <= {row["reason"] for row in unknown}
    # The line breaks at those days instead of joining across them, and the strip below names the reason.
    assert rendered.spec["vconcat"][0]["mark"]["invalid"] == "break-paths-filter-domains"
    assert rendered.spec["vconcat"][1]["encoding"]["color"]["field"] == "reason"


def test_mlcost_report_prints_the_path_and_every_chart_draws_in_chromium(on_built, tmp_path, capsys):
    browser = chromium()
    from PIL import Image
    from playwright.sync_api import sync_playwright

    out = tmp_path / "report.html"
    assert cli.main(["report", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"mlcost report: {out} (" in printed and out.as_uri() in printed

    with duckdb.connect(str(published.read_copy_path()), read_only=True) as conn:
        has_recommendations = conn.execute(
            "select count(*) from information_schema.tables where table_schema = 'marts' "
            "and table_name = 'recommendations'"
        ).fetchone()[0]
    problems, requests = [], []
    with sync_playwright() as playwright:
        chrome = playwright.chromium.launch(executable_path=browser, args=BROWSER_ARGS)
        try:
            page = chrome.new_page(viewport={"width": 1200, "height": 900})
            page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.on("request", lambda request: requests.append(request.url))
            page.goto(out.as_uri())
            page.wait_for_function("document.body.dataset.charts !== undefined", timeout=30_000)
            assert page.evaluate("document.body.dataset.charts") == "done"
            ids = page.eval_on_selector_all("section", "sections => sections.map(s => s.id)")
            assert ids == [section.id for section in SECTIONS]
            charts = page.query_selector_all("div.chart")
            assert len(charts) >= 7
            for chart in charts:
                name = chart.get_attribute("id")
                svg = chart.query_selector("svg")
                assert svg is not None, f"{name} has no <svg>"
                svg.scroll_into_view_if_needed()
                box = svg.bounding_box()
                assert box["width"] > 100 and box["height"] > 50, f"{name} is {box}"
                image = Image.open(io.BytesIO(page.screenshot(clip=box, timeout=10_000))).convert("RGB")
                colours = len(image.getcolors(maxcolors=1 << 20))
                assert colours > MIN_CHART_COLOURS, f"{name} looks blank: {colours} colours"
                saturation = image.convert("HSV").getchannel("S").histogram()
                coloured = sum(saturation[100:]) / (image.width * image.height)
                assert coloured > MIN_COLOURED_SHARE, f"{name} has no marks: {coloured:.2%} coloured pixels"
            recommendations = page.inner_text("#recommendations")
        finally:
            chrome.close()
    assert problems == []
    assert [url for url in requests if not url.startswith("file://")] == []
    if not has_recommendations:
        assert "Not in this warehouse yet: marts.recommendations" in recommendations


def test_a_missing_mart_is_one_line_in_the_report_and_a_changed_one_fails_in_one_line(
    on_built, tmp_path, monkeypatch, capsys
):
    copy = tmp_path / "older.read.duckdb"
    shutil.copy(published.read_copy_path(), copy)
    with duckdb.connect(str(copy)) as conn:
        conn.execute("drop table marts.tag_coverage")
    monkeypatch.setenv("MARTS_READ_PATH", str(copy))
    result = write_report(tmp_path / "report.html")
    by_id = {section.id: section for section in result.sections}
    assert by_id["tag-coverage"].note == (
        "Not in this warehouse yet: marts.tag_coverage (built by a later version of the marts)."
    )
    assert by_id["tag-coverage"].spec is None
    assert by_id["budget"].spec and by_id["anomalies"].spec and by_id["daily-cost-by-model"].spec

    # A mart of another shape fails the report in one line naming the query; the last report stays.
    before = (tmp_path / "report.html").read_bytes()
    with duckdb.connect(str(copy)) as conn:
        conn.execute("alter table marts.cost_anomalies rename column impact_cost to extra_cost")
    assert cli.main(["report", "--out", str(tmp_path / "report.html")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        "mlcost report: section anomalies: sql/report/select_daily_cost_anomalies.sql failed: Binder Error:"
    )
    assert err.count("\n") == 1 and "Traceback" not in err
    assert (tmp_path / "report.html").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_mlcost_report_without_a_warehouse_says_what_to_run(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WAREHOUSE_PATH", str(tmp_path / "none.duckdb"))
    assert cli.main(["report"]) == 2
    err = capsys.readouterr().err.strip()
    assert (
        err
        == f"mlcost report: no warehouse at {tmp_path / 'none.duckdb'} yet: run `mlcost refresh` first (or set WAREHOUSE_PATH)"
    )
    assert not (tmp_path / "none.report.html").exists()
