"""The report's sections: each is one SQL file under sql/report (or sql/queries) and one builder that
turns its rows into a Vega-Lite chart (through altair), a table, or both.

To add a section, write its query and a builder, and append a `Section` to SECTIONS. Its `id` is
the page anchor (`report.html#budget`): alert messages and docs link to it, so it never changes.
A section whose relations are not in the warehouse says so in one line; the rest of the report
still renders.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import altair as alt

from pipelines.lib.formatting import money, share
from pipelines.lib.report.formatting import d3_money_format, day

Row = dict[str, Any]

# Chart sizes in CSS pixels: one column of the page.
WIDTH = 700
HEIGHT = 260
# Models named in the by-model chart; the rest are summed as "other models".
TOP_MODELS = 8
TOP_RECOMMENDATIONS = 10
TOP_ENDPOINTS = 10
# Daily charts show the last quarter of data: long enough for weekly patterns and month-level charges,
# short enough that a day stays a visible bar on a bill with years of history.
DAYS = 92
TOP_ANOMALIES = 12
# The day axis: dates are UTC days, whatever the reader's time zone.
DAY = "utcyearmonthdate"
STATUS_COLORS = {"ok": "#4c9a2a", "warning": "#e0a100", "critical": "#d62728"}


@dataclass(frozen=True)
class Table:
    columns: Sequence[str]
    rows: Sequence[Sequence[str]]
    numeric: Sequence[bool] = ()  # right-aligned columns


@dataclass(frozen=True)
class Content:
    """What a builder makes of a section's rows: a chart (altair), a table, a line above them, or a
    note that stands in for both (no data yet)."""

    chart: alt.TopLevelMixin | None = None
    table: Table | None = None
    summary: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Section:
    id: str  # stable page anchor
    title: str
    about: str  # one or two sentences: what the chart shows and how to read it
    query: str  # name under sql/, e.g. "report/select_daily_cost_by_category"
    build: Callable[[list[Row]], Content]
    requires: tuple[str, ...]  # schema.table the query reads
    params: Mapping[str, Any] = field(default_factory=dict)


def json_value(value: Any) -> Any:
    """A value as Vega-Lite data: decimals as floats (display only), dates as ISO text."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    return value


def data(rows: Sequence[Row]) -> alt.Data:
    return alt.Data(values=[{k: json_value(v) for k, v in row.items()} for row in rows])


def currencies(rows: Sequence[Row]) -> list[str]:
    return sorted({row["billing_currency"] for row in rows if row.get("billing_currency")})


def per_currency(rows: Sequence[Row], chart: Callable[[list[Row], str], alt.TopLevelMixin]):
    """One chart per billing currency, stacked vertically: amounts in different currencies are never
    drawn on one axis."""
    charts = [chart([r for r in rows if r.get("billing_currency") == c], c) for c in currencies(rows)]
    return charts[0] if len(charts) == 1 else alt.vconcat(*charts)


def money_axis(currency: str, title: str) -> alt.Axis:
    return alt.Axis(format=d3_money_format(currency, 2, trim=True), title=f"{title} ({currency})")


def _no_rows(what: str) -> Content:
    return Content(note=f"No data yet: {what}.")


# --- daily cost ---------------------------------------------------------------------------------


def _daily_stacked(rows: list[Row], by: str, label: str) -> Content:
    if not rows:
        return _no_rows("marts.cost_by_model has no rows")

    def chart(part: list[Row], currency: str) -> alt.Chart:
        return (
            alt.Chart(data(part), title=f"Daily effective cost by {label}, {currency}")
            .mark_bar()
            .encode(
                x=alt.X("usage_date:T", timeUnit=DAY, title=None),
                y=alt.Y("sum(effective_cost):Q", stack="zero", axis=money_axis(currency, "effective cost")),
                color=alt.Color(f"{by}:N", title=label),
                tooltip=[
                    alt.Tooltip("usage_date:T", timeUnit=DAY, title="day"),
                    alt.Tooltip(f"{by}:N", title=label),
                    alt.Tooltip(
                        "sum(effective_cost):Q", title="effective cost", format=d3_money_format(currency)
                    ),
                ],
            )
            .properties(width=WIDTH, height=HEIGHT)
        )

    return Content(chart=per_currency(rows, chart))


def daily_cost_by_category(rows: list[Row]) -> Content:
    return _daily_stacked(rows, "category", "category")


def daily_cost_by_model(rows: list[Row]) -> Content:
    return _daily_stacked(rows, "model_name", "model")


# --- budgets --------------------------------------------------------------------------------------


def _budget_label(row: Row) -> str:
    scope = "all spend" if row["scope_type"] == "total" else f"{row['scope_type']} = {row['scope_value']}"
    return f"{row['budget_name']} ({scope})"


def budget_month_to_date(rows: list[Row]) -> Content:
    if not rows:
        return _no_rows("no budget in marts.budget_projection (BUDGETS_FILE)")
    first = rows[0]
    period = first["billing_period"].strftime("%Y-%m")
    summary = (
        f"Billing period {period}, data through {day(first['data_through_date'])} "
        f"({first['days_elapsed']} of {first['days_in_period']} days)."
    )
    table = Table(
        ["budget", "status", "budget amount", "actual so far", "projected month-end (80% interval)"],
        [
            [
                _budget_label(r),
                r["status"],
                money(r["budget_amount"], r["billing_currency"]),
                f"{money(r['actual_cost'], r['billing_currency'])} · {share(r['actual_share'])}",
                f"{money(r['projected_cost'], r['billing_currency'])} · {share(r['projected_share'])} "
                f"({money(r['projected_low'], r['billing_currency'])} – "
                f"{money(r['projected_high'], r['billing_currency'])})",
            ]
            for r in rows
        ],
        numeric=[False, False, True, True, True],
    )
    charted = [
        {
            "budget": _budget_label(r),
            "status": r["status"],
            "actual_share": r["actual_share"],
            "projected_share": r["projected_share"],
            "projected_low_share": r["projected_low_share"],
            "projected_high_share": r["projected_high_share"],
            "budget_amount": money(r["budget_amount"], r["billing_currency"]),
            "actual": money(r["actual_cost"], r["billing_currency"]),
            "projected": f"{money(r['projected_cost'], r['billing_currency'])} "
            f"({money(r['projected_low'], r['billing_currency'])} – "
            f"{money(r['projected_high'], r['billing_currency'])})",
        }
        for r in rows
        if r["actual_share"] is not None  # a budget of 0 has no share: the table shows it
    ]
    if not charted:
        return Content(table=table, summary=summary)
    order = [row["budget"] for row in charted]
    y = alt.Y("budget:N", sort=order, title=None, axis=alt.Axis(labelLimit=320))
    tooltip = [
        alt.Tooltip("budget:N"),
        alt.Tooltip("status:N"),
        alt.Tooltip("budget_amount:N", title="budget"),
        alt.Tooltip("actual:N", title="actual so far"),
        alt.Tooltip("actual_share:Q", title="actual, % of budget", format=".0%"),
        alt.Tooltip("projected:N", title="projected (80% interval)"),
        alt.Tooltip("projected_share:Q", title="projected, % of budget", format=".0%"),
    ]
    base = alt.Chart(data(charted))
    actual = base.mark_bar(height=14).encode(
        x=alt.X("actual_share:Q", title="% of budget", axis=alt.Axis(format=".0%")),
        y=y,
        color=alt.Color(
            "status:N",
            scale=alt.Scale(domain=list(STATUS_COLORS), range=list(STATUS_COLORS.values())),
            title="status",
        ),
        tooltip=tooltip,
    )
    interval = base.mark_rule(strokeWidth=2, color="#333").encode(
        x="projected_low_share:Q", x2="projected_high_share:Q", y=y, tooltip=tooltip
    )
    projected = base.mark_point(shape="diamond", filled=True, size=90, color="#333").encode(
        x="projected_share:Q", y=y, tooltip=tooltip
    )
    budget_line = (
        alt.Chart(alt.Data(values=[{"budget_share": 1.0}]))
        .mark_rule(strokeDash=[4, 4], color="#d62728")
        .encode(x="budget_share:Q")
    )
    chart = alt.layer(actual, interval, projected, budget_line).properties(
        width=WIDTH - 260, height=max(60, 26 * len(charted)), title=f"Month to date against budget, {period}"
    )
    return Content(chart=chart, table=table, summary=summary)


# --- cost per prediction --------------------------------------------------------------------------


def cost_per_1k_predictions(rows: list[Row]) -> Content:
    if not rows:
        return _no_rows("no SageMaker endpoint in marts.cost_per_prediction")
    units = currencies(rows)
    unit = units[0] if len(units) == 1 else "mixed currencies"
    money_format = d3_money_format(units[0], 4, trim=True) if len(units) == 1 else ",.4~f"
    gaps = [r for r in rows if r["cost_per_1k_predictions"] is None]
    x = alt.X("usage_date:T", timeUnit=DAY, title=None)
    tooltip = [
        alt.Tooltip("usage_date:T", timeUnit=DAY, title="day"),
        alt.Tooltip("endpoint_name:N", title="endpoint"),
        alt.Tooltip("cost_per_1k_predictions:Q", title="cost per 1,000 predictions", format=money_format),
        alt.Tooltip("predictions:Q", format=","),
        alt.Tooltip(
            "inference_cost:Q",
            title="inference cost",
            format=d3_money_format(units[0], trim=True) if len(units) == 1 else ",.2f",
        ),
        alt.Tooltip("reason:N", title="no value because"),
    ]
    lines = (
        alt.Chart(data(rows), title=f"Cost per 1,000 predictions per endpoint ({unit})")
        .mark_line(point=True, invalid="break-paths-filter-domains")
        .encode(
            x=x,
            # Log scale: endpoints' costs differ by orders of magnitude, and each stays readable.
            y=alt.Y(
                "cost_per_1k_predictions:Q",
                scale=alt.Scale(type="log"),
                axis=alt.Axis(format=money_format, title=f"per 1,000 predictions ({unit}, log scale)"),
            ),
            color=alt.Color("endpoint_name:N", title="endpoint"),
            tooltip=tooltip,
        )
        .properties(width=WIDTH, height=HEIGHT)
    )
    strip = (
        alt.Chart(data(gaps), title="Days without a cost per 1,000 predictions (gaps above), and why")
        .mark_square(size=60)
        .encode(
            x=x,
            y=alt.Y("endpoint_name:N", title=None),
            color=alt.Color("reason:N", title="no value because", scale=alt.Scale(scheme="set2")),
            tooltip=tooltip,
        )
        .properties(width=WIDTH)
    )
    if not gaps:
        return Content(chart=lines)
    if len(gaps) == len(rows):
        # No day has a value yet (a first refresh: the bill lags the prediction counts): only the reasons.
        return Content(chart=strip, summary="No day has a cost per 1,000 predictions yet.")
    chart = alt.vconcat(lines, strip).resolve_scale(x="shared", color="independent")
    return Content(chart=chart)


# --- anomalies ------------------------------------------------------------------------------------


def _scope(anomaly: Row) -> str:
    return (
        "whole bill"
        if anomaly["scope_type"] == "total"
        else f"{anomaly['scope_type']} {anomaly['scope_value']}"
    )


def daily_cost_anomalies(rows: list[Row]) -> Content:
    if not rows:
        return _no_rows("marts.cost_by_model has no rows")
    days = []
    listed = []
    for row in rows:
        anomalies = row["anomalies"] or []
        currency = row["billing_currency"]
        days.append(
            {
                "usage_date": row["usage_date"],
                "billing_currency": currency,
                "effective_cost": row["effective_cost"],
                "anomalies": len(anomalies),
                "severity": "high" if any(a["severity"] == "high" for a in anomalies) else "medium",
                "what": "; ".join(
                    f"{_scope(a)} {money(a['impact_cost'], currency)} over the usual" for a in anomalies[:3]
                )
                + (f"; and {len(anomalies) - 3} more" if len(anomalies) > 3 else ""),
            }
        )
        listed.extend({**a, "usage_date": row["usage_date"], "billing_currency": currency} for a in anomalies)
    total = len(listed)

    def chart(part: list[Row], currency: str) -> alt.LayerChart:
        base = alt.Chart(data(part))
        x = alt.X("usage_date:T", timeUnit=DAY, title=None)
        # A day without a bill line yet is NULL: the line breaks there instead of joining across it.
        line = base.mark_line(color="#4c78a8", invalid="break-paths-filter-domains").encode(
            x=x,
            y=alt.Y("effective_cost:Q", axis=money_axis(currency, "daily effective cost")),
            tooltip=[
                alt.Tooltip("usage_date:T", timeUnit=DAY, title="day"),
                alt.Tooltip("effective_cost:Q", title="effective cost", format=d3_money_format(currency)),
            ],
        )
        marked = base.transform_filter("datum.anomalies > 0")
        rules = marked.mark_rule(strokeDash=[3, 3], opacity=0.6).encode(
            x=x,
            color=alt.Color(
                "severity:N",
                scale=alt.Scale(domain=["medium", "high"], range=["#e0a100", "#d62728"]),
                title="anomaly",
            ),
        )
        points = marked.mark_point(filled=True, size=110).encode(
            x=x,
            y="effective_cost:Q",
            color="severity:N",
            tooltip=[
                alt.Tooltip("usage_date:T", timeUnit=DAY, title="day"),
                alt.Tooltip("effective_cost:Q", title="effective cost", format=d3_money_format(currency)),
                alt.Tooltip("anomalies:Q", title="anomalies"),
                alt.Tooltip("what:N", title="largest"),
            ],
        )
        # Marks only where there are anomalies: an empty layer has no extent to draw.
        layers = [line, rules, points] if any(row["anomalies"] for row in part) else [line]
        return alt.layer(*layers).properties(
            width=WIDTH, height=HEIGHT, title=f"Daily effective cost with cost anomalies marked, {currency}"
        )

    listed.sort(key=lambda a: (a["usage_date"], a["impact_cost"]), reverse=True)
    table = Table(
        ["day", "scope", "actual", "usual", "extra", "severity", "announced"],
        [
            [
                day(a["usage_date"]),
                _scope(a),
                money(a["actual_cost"], a["billing_currency"]),
                money(a["expected_cost"], a["billing_currency"]),
                money(a["impact_cost"], a["billing_currency"]),
                a["severity"],
                "yes" if a["is_alert_due"] else "no (older than the alert lookback)",
            ]
            for a in listed[:TOP_ANOMALIES]
        ],
        numeric=[False, False, True, True, True, False, False],
    )
    summary = f"{total} cost anomal{'y' if total == 1 else 'ies'} (increases) in the window" + (
        f"; the {TOP_ANOMALIES} most recent are listed below." if total > TOP_ANOMALIES else "."
    )
    return Content(chart=per_currency(days, chart), table=table if listed else None, summary=summary)


# --- training -------------------------------------------------------------------------------------


def training_cost_vs_accuracy(rows: list[Row]) -> Content:
    known = [r for r in rows if r["training_cost"] is not None and r["metric_value"] is not None]
    if not known:
        return _no_rows("no training job with both a cost and a final metric in marts.training_job_costs")
    jobs_unknown = len({r["training_job_name"] for r in rows if r["training_cost"] is None})
    summary = (
        f"{len({r['training_job_name'] for r in known})} training jobs with a cost and final metrics"
        + (f"; {jobs_unknown} more whose cost is not known yet are left out." if jobs_unknown else ".")
    )

    def chart(part: list[Row], currency: str):
        return (
            alt.Chart(data(part))
            .mark_point(filled=True, size=60, opacity=0.8)
            .encode(
                x=alt.X("training_cost:Q", axis=money_axis(currency, "training cost")),
                y=alt.Y("metric_value:Q", scale=alt.Scale(zero=False), title="final value"),
                color=alt.Color("model_name:N", title="model"),
                shape=alt.Shape("cost_source:N", title="cost from"),
                tooltip=[
                    alt.Tooltip("training_job_name:N", title="job"),
                    alt.Tooltip("model_name:N", title="model"),
                    alt.Tooltip("metric_name:N", title="metric"),
                    alt.Tooltip("metric_value:Q", title="value"),
                    alt.Tooltip("training_cost:Q", title="cost", format=d3_money_format(currency)),
                    alt.Tooltip("cost_source:N", title="cost from"),
                    alt.Tooltip("instance_type:N", title="instance"),
                ],
            )
            .properties(width=250, height=190)
            .facet(facet=alt.Facet("metric_name:N", title=None), columns=3)
            .resolve_scale(x="independent", y="independent")
            .properties(title=f"Training cost against final metrics, {currency}")
        )

    return Content(chart=per_currency(known, chart), summary=summary)


# --- tag coverage ---------------------------------------------------------------------------------

TAG_MEASURES = (
    ("model_tagged", "model tag"),
    ("team_tagged", "team tag"),
    ("untagged", "neither tag"),
)


def tag_coverage(rows: list[Row]) -> Content:
    if not rows:
        return _no_rows("marts.tag_coverage has no rows")
    melted = [
        {
            "billing_period": row["billing_period"].strftime("%Y-%m"),
            "billing_currency": row["billing_currency"],
            "measure": label,
            "share": row[f"{key}_share"],
            "cost": money(row[f"{key}_cost"], row["billing_currency"]),
        }
        for row in rows
        for key, label in TAG_MEASURES
    ]
    latest = rows[-1]
    summary = (
        f"{latest['billing_period'].strftime('%Y-%m')}: {share(latest['untagged_share'])} of the cost "
        f"({money(latest['untagged_cost'], latest['billing_currency'])}) carries neither a model nor a team tag."
    )

    def chart(part: list[Row], currency: str):
        return (
            alt.Chart(data(part), title=f"Share of cost carrying tags, per billing period ({currency})")
            .mark_bar()
            .encode(
                x=alt.X("billing_period:N", title=None, axis=alt.Axis(labelAngle=0)),
                xOffset=alt.XOffset("measure:N", sort=[label for _, label in TAG_MEASURES]),
                y=alt.Y("share:Q", axis=alt.Axis(format=".0%", title="% of effective cost")),
                color=alt.Color(
                    "measure:N",
                    sort=[label for _, label in TAG_MEASURES],
                    scale=alt.Scale(range=["#4c78a8", "#72b7b2", "#d62728"]),
                    title=None,
                ),
                tooltip=[
                    alt.Tooltip("billing_period:N", title="period"),
                    alt.Tooltip("measure:N", title="cost with"),
                    alt.Tooltip("share:Q", title="share", format=".1%"),
                    alt.Tooltip("cost:N", title="cost"),
                ],
            )
            .properties(width=WIDTH - 200, height=HEIGHT - 40)
        )

    return Content(chart=per_currency(melted, chart), summary=summary)


# --- recommendations ------------------------------------------------------------------------------

RECOMMENDATION_COLUMNS = (
    ("recommendation_type", "what"),
    ("resource", "resource"),
    ("model", "model"),
    ("team", "team"),
    ("current_monthly_cost", "costs per month"),
    ("estimated_monthly_savings", "saves per month"),
    ("action", "action"),
    ("savings_basis", "savings basis"),
)
MONEY_COLUMNS = ("current_monthly_cost", "estimated_monthly_savings")


def top_recommendations(rows: list[Row]) -> Content:
    if not rows:
        return Content(note="No recommendation: marts.recommendations found nothing to save.")
    columns = [(key, label) for key, label in RECOMMENDATION_COLUMNS if key in rows[0]]

    def cell(row: Row, key: str) -> str:
        value = row[key]
        if key in MONEY_COLUMNS:
            currency = row.get("billing_currency")
            if value is None or currency:
                return money(value, currency)
            return f"{value:,.2f}"
        return "n/a" if value is None else str(value)

    return Content(
        table=Table(
            [label for _, label in columns],
            [[cell(row, key) for key, _ in columns] for row in rows],
            numeric=[key in MONEY_COLUMNS for key, _ in columns],
        )
    )


SECTIONS: tuple[Section, ...] = (
    Section(
        id="daily-cost-by-category",
        title="Daily cost by category",
        about=f"Effective (amortized) cost per day over the last {DAYS} days of data, stacked by category: "
        "training, inference, processing, notebooks, storage, data transfer, generative AI and the rest of "
        "the bill. Month-level charges (fees, tax, credits) stand on the day the bill dates them.",
        query="report/select_daily_cost_by_category",
        build=daily_cost_by_category,
        requires=("marts.cost_by_model",),
        params={"days": DAYS},
    ),
    Section(
        id="daily-cost-by-model",
        title="Daily cost by model",
        about=f"The same cost stacked by attributed model: the {TOP_MODELS} models with the most cost, the "
        "others together; `unattributed` is cost no tag, metadata or owner rule names a model for.",
        query="report/select_daily_cost_by_model",
        build=daily_cost_by_model,
        requires=("marts.cost_by_model",),
        params={"top_models": TOP_MODELS, "days": DAYS},
    ),
    Section(
        id="budget",
        title="Month to date against budget",
        about="Each budget's spend so far (bar, coloured by status) and the forecast month-end (diamond) "
        "with its 80% prediction interval (black line), as a share of the budget (dashed line = 100%).",
        query="report/select_budget_month_to_date",
        build=budget_month_to_date,
        requires=("marts.budget_projection",),
    ),
    Section(
        id="cost-per-prediction",
        title="Cost per 1,000 predictions",
        about=f"What 1,000 predictions cost per day on the {TOP_ENDPOINTS} SageMaker endpoints with the most "
        f"inference cost over the last {DAYS} days (everything the endpoint cost, idle capacity included). "
        "A day without a value is a gap, never 0: the strip below says why (the bill for the day is not "
        "complete, no predictions were counted, or no cost was billed).",
        query="report/select_endpoint_cost_per_1k_predictions",
        build=cost_per_1k_predictions,
        requires=("marts.cost_per_prediction",),
        params={"days": DAYS, "top_endpoints": TOP_ENDPOINTS},
    ),
    Section(
        id="anomalies",
        title="Cost anomalies",
        about=f"The whole bill's daily effective cost over the last {DAYS} days; a marked day had unusually high spend for a model, "
        "service, account or the whole bill against the same weekday in earlier weeks "
        "(marts.cost_anomalies). Hover a mark for what rose.",
        query="report/select_daily_cost_anomalies",
        build=daily_cost_anomalies,
        requires=("marts.cost_by_model", "marts.cost_anomalies"),
        params={"days": DAYS},
    ),
    Section(
        id="training-cost-vs-accuracy",
        title="Training cost against model accuracy",
        about="Each training job's cost (from the bill, else estimated) against its final metrics, one panel "
        "per metric: is the extra spend buying accuracy? For loss and error metrics lower is better.",
        query="queries/cost_vs_accuracy",
        build=training_cost_vs_accuracy,
        requires=("marts.training_job_costs",),
    ),
    Section(
        id="tag-coverage",
        title="Tag coverage",
        about="The share of each billing period's cost whose bill lines carry a model tag, a team tag, or "
        "neither (tags only; attribution from SageMaker metadata or owner rules is not a tag).",
        query="report/select_tag_coverage_by_period",
        build=tag_coverage,
        requires=("marts.tag_coverage",),
    ),
    Section(
        id="recommendations",
        title="Top recommendations",
        about=f"The {TOP_RECOMMENDATIONS} changes that would save the most per month (marts.recommendations).",
        query="report/select_top_recommendations",
        build=top_recommendations,
        requires=("marts.recommendations",),
        params={"top_n": TOP_RECOMMENDATIONS},
    ),
)
