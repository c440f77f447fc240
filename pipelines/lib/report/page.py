"""The report as one self-contained HTML page: the Vega, Vega-Lite and Vega-Embed JavaScript inlined
(bundled by vl-convert, at the Vega-Lite version altair writes), the chart specs with their data
inlined as JSON, and nothing fetched from the network when it opens."""

from __future__ import annotations

import contextlib
import json
import os
from functools import cache
from pathlib import Path

import altair as alt
import jinja2
import vl_convert
from markupsafe import Markup

TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="mlcost report">
<title>mlcost cost report</title>
<style>
  body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222;
         margin: 0 auto; max-width: 1040px; padding: 0 24px 48px; }
  header { border-bottom: 1px solid #ddd; padding: 16px 0 8px; }
  h1 { font-size: 22px; margin: 0 0 6px; }
  h2 { font-size: 18px; margin: 32px 0 4px; }
  dl.window { display: grid; grid-template-columns: max-content auto; gap: 2px 12px; margin: 8px 0; }
  dl.window dt { color: #666; } dl.window dd { margin: 0; }
  nav a { margin-right: 12px; white-space: nowrap; }
  p.about { color: #555; margin: 0 0 8px; max-width: 860px; }
  p.summary { font-weight: 600; margin: 4px 0 8px; }
  p.note { background: #f6f6f6; border-left: 3px solid #bbb; padding: 6px 10px; }
  .chart { min-height: 40px; margin: 8px 0; }
  table { border-collapse: collapse; margin: 8px 0; font-size: 13px; width: 100%; }
  div.table { overflow-x: auto; }
  th, td { border-bottom: 1px solid #e4e4e4; padding: 4px 8px; text-align: left; vertical-align: top;
           overflow-wrap: break-word; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
</style>
<script>{{ bundle }}</script>
</head>
<body>
<header>
  <h1>ML cost report</h1>
  <dl class="window">
  {%- for label, value in window %}
    <dt>{{ label }}</dt><dd>{{ value }}</dd>
  {%- endfor %}
  </dl>
  <nav>{% for s in sections %}<a href="#{{ s.id }}">{{ s.title }}</a>{% endfor %}</nav>
</header>
{% for s in sections %}
<section id="{{ s.id }}">
  <h2>{{ s.title }}</h2>
  <p class="about">{{ s.about }}</p>
  {%- if s.note %}
  <p class="note">{{ s.note }}</p>
  {%- endif %}
  {%- if s.summary %}
  <p class="summary">{{ s.summary }}</p>
  {%- endif %}
  {%- if s.spec %}
  <div class="chart" id="chart-{{ s.id }}" data-section="{{ s.id }}"></div>
  {%- endif %}
  {%- if s.table %}
  <div class="table"><table>
    <thead><tr>{% for c in s.table.columns %}<th>{{ c }}</th>{% endfor %}</tr></thead>
    <tbody>
    {%- for row in s.table.rows %}
      <tr>{% for v in row %}<td{% if s.table.numeric[loop.index0] %} class="num"{% endif %}>{{ v }}</td>{% endfor %}</tr>
    {%- endfor %}
    </tbody>
  </table></div>
  {%- endif %}
</section>
{% endfor %}
<script type="application/json" id="chart-specs">{{ specs }}</script>
<script>
  // Draw every chart; body[data-charts] says when all are drawn ("done") or which failed.
  const specs = JSON.parse(document.getElementById("chart-specs").textContent);
  const drawn = Object.entries(specs).map(([id, spec]) =>
    vegaEmbed("#chart-" + id, spec, {renderer: "svg", actions: false}).catch((error) => {
      document.getElementById("chart-" + id).textContent = "This chart could not be drawn: " + error;
      console.error("chart " + id + ": " + error);
      throw error;
    }));
  Promise.allSettled(drawn).then((results) => {
    const failed = results.filter((r) => r.status === "rejected").length;
    document.body.dataset.charts = failed ? failed + " failed" : "done";
  });
</script>
</body>
</html>
"""


def bundle_cache_dir() -> Path:
    """Where bundles are kept between processes: $XDG_CACHE_HOME/mlcost, else ~/.cache/mlcost."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "mlcost"


@cache
def javascript_bundle() -> str:
    """Vega-Embed with Vega-Lite and Vega, as one script. vl-convert bundles it in a few CPU seconds;
    the result depends only on vl-convert's version and the Vega-Lite version, so it is kept in
    bundle_cache_dir() under both and read from there by later processes (a cache that cannot be
    written is skipped)."""
    # vl-convert names Vega-Lite versions by major and minor: altair's v6.4.1 -> "v6_4".
    vl_version = "_".join(alt.SCHEMA_VERSION.split(".")[:2])
    cached = bundle_cache_dir() / f"vega-embed-{vl_convert.__version__}-{vl_version}.js"
    try:
        bundle = cached.read_text(encoding="utf-8")
    except OSError:
        bundle = vl_convert.javascript_bundle(vl_version=vl_version)
        _keep(cached, bundle)
    # Inside a <script> element the only text that can end it early is "</script".
    return bundle.replace("</script", "<\\/script")


def _keep(path: Path, text: str) -> None:
    """Write `path` in one rename (a reader never sees half a file); skipped when it cannot be."""
    staging = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        staging.write_text(text, encoding="utf-8")
        os.replace(staging, path)
    except OSError:
        with contextlib.suppress(OSError):
            staging.unlink(missing_ok=True)


def script_json(value) -> str:
    """JSON safe inside a <script> element: <, > and & escaped as JSON escapes."""
    text = json.dumps(value, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render(window: list[tuple[str, str]], sections: list) -> str:
    """The page: `window` label/value pairs for the header, `sections` with id, title, about, note,
    summary, spec (Vega-Lite dict or None) and table."""
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = environment.from_string(TEMPLATE)
    specs = {s.id: s.spec for s in sections if s.spec}
    return template.render(
        bundle=Markup(javascript_bundle()),
        window=window,
        sections=sections,
        specs=Markup(script_json(specs)),
    )
