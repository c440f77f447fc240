"""The weekly recommendations digest: the current period's largest savings, once per ISO week.

marts.recommendations (dbt) decides what to recommend; this module reads the current rows with a
saving from the published copy, writes one digest a week to the alert ledger under the key
``recommendations_digest:<ISO year>-W<week>`` and leaves it to the delivery sensor to send. The
ledger's unique key makes the digest exactly-once per week: a later tick, a re-run or a restart
finds the week's key and records nothing, and a digest recorded before a crash stays pending until
it is sent. A digest not sent by the end of its week expires (next week's replaces it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from decimal import Decimal
from pathlib import Path

import duckdb

from pipelines.lib import settings, sql
from pipelines.lib.alerts.due import PublishedCopyError
from pipelines.lib.alerts.ledger import Alert, Ledger
from pipelines.lib.alerts.messages import asset_url
from pipelines.lib.formatting import money

KIND = "recommendations_digest"
# RECOMMENDATIONS_DIGEST_SIZE: how many recommendations a digest lists.
DEFAULT_SIZE = 5

TYPE_LABELS = {
    "idle_endpoint": "Idle endpoint",
    "underused_endpoint": "Under-used endpoint",
    "multi_model_endpoint": "Consolidate endpoints",
    "managed_spot_training": "Managed spot training",
    "idle_notebook": "Idle notebook",
    "savings_plan": "Savings Plan",
    "s3_lifecycle": "S3 lifecycle",
    "untagged_spend": "Untagged spend",
}


@dataclass(frozen=True)
class Recommendation:
    """One row of marts.recommendations, as sql/alerts/select_digest_recommendations.sql reads it."""

    recommendation_id: str
    recommendation_type: str
    billing_period: dt.date
    billing_currency: str
    account_id: str | None
    region: str | None
    resource_name: str
    model_name: str | None
    team: str | None
    evidence: str
    current_monthly_cost: Decimal
    estimated_monthly_savings: Decimal
    savings_basis: str
    confidence: str
    action: str
    first_seen_date: dt.date
    data_through_date: dt.date


def digest_size() -> int:
    value = settings.get("RECOMMENDATIONS_DIGEST_SIZE") or str(DEFAULT_SIZE)
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"RECOMMENDATIONS_DIGEST_SIZE must be a whole number from 1, not {value!r}")
    return int(value)


def week_of(day: dt.date) -> str:
    """The ISO week a day belongs to, as the digest's key names it: 2026-W49."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def end_of_week(day: dt.date) -> float:
    """Epoch seconds of the Monday 00:00 UTC after `day`'s ISO week: when its digest expires."""
    monday = day - dt.timedelta(days=day.weekday())
    return dt.datetime.combine(monday + dt.timedelta(days=7), dt.time(), dt.UTC).timestamp()


def read_top(path: Path, limit: int) -> list[Recommendation]:
    """The current recommendations with a saving in the published copy at `path`, largest first."""
    if not path.is_file():
        raise PublishedCopyError(f"no published copy of the marts at {path} yet (run `mlcost refresh` first)")
    with duckdb.connect(str(path), read_only=True) as conn:
        try:
            cursor = conn.execute(sql.load("alerts/select_digest_recommendations"), {"limit": limit})
        except (duckdb.CatalogException, duckdb.BinderException) as exc:
            reason = str(exc).splitlines()[0]
            raise PublishedCopyError(
                f"the published copy at {path} has no current marts.recommendations ({reason}); run `mlcost refresh`"
            ) from None
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return [Recommendation(**{f.name: row[f.name] for f in fields(Recommendation)}) for row in rows]


def _owner(rec: Recommendation) -> str:
    parts = [f"model {rec.model_name}" if rec.model_name else None, f"team {rec.team}" if rec.team else None]
    where = ", ".join(p for p in (rec.account_id, rec.region) if p)
    owner = ", ".join(p for p in parts if p)
    return " · ".join(p for p in (owner, where) if p)


def digest_message(week: str, recommendations: list[Recommendation], ui_url: str) -> dict:
    """Block Kit for one weekly digest: per recommendation its saving, cost, evidence, basis and action."""
    totals: dict[str, Decimal] = {}
    for rec in recommendations:
        totals[rec.billing_currency] = (
            totals.get(rec.billing_currency, Decimal(0)) + rec.estimated_monthly_savings
        )
    total = " + ".join(money(amount, currency) for currency, amount in sorted(totals.items()))
    through = max(rec.data_through_date for rec in recommendations)
    text = (
        f"Recommendations {week}: {len(recommendations)} changes could save {total} a month "
        f"(bill through {through.isoformat()})"
    )
    blocks: list[dict] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": f"Save {total} a month: top {len(recommendations)} recommendations"[:150],
                "emoji": True,
            },
        },
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"Week {week} · billing period {recommendations[0].billing_period:%Y-%m}, "
                    f"bill through {through.isoformat()} · savings of different kinds can overlap",
                }
            ],
        },
    ]
    for i, rec in enumerate(recommendations, start=1):
        label = TYPE_LABELS.get(rec.recommendation_type, rec.recommendation_type)
        owner = _owner(rec)
        lines = [
            f"*{i}. {label}: {rec.resource_name}*" + (f"  ({owner})" if owner else ""),
            f"Saves *{money(rec.estimated_monthly_savings, rec.billing_currency)}* a month of "
            f"{money(rec.current_monthly_cost, rec.billing_currency)} · confidence {rec.confidence}",
            f"Evidence: {rec.evidence}",
            f"Action: {rec.action}",
            f"_Basis: {rec.savings_basis} · first seen {rec.first_seen_date.isoformat()}_",
        ]
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)[:3000]}})
    blocks.append(
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"<{asset_url(ui_url, ['marts', 'recommendations'])}|All recommendations (marts.recommendations)>",
                }
            ],
        }
    )
    return {"text": text, "blocks": blocks}


def record_weekly_digest(path: Path, ledger: Ledger, ui_url: str, today: dt.date) -> Alert | None:
    """Record this week's digest in the ledger unless the week has one; returns it when it is new.

    Nothing is recorded while the published copy has no current recommendation with a saving (a
    later tick of the same week records it once there is one).
    """
    week = week_of(today)
    key = f"{KIND}:{week}"
    if ledger.get(key) is not None:
        return None
    top = read_top(path, digest_size())
    if not top:
        return None
    message = digest_message(week, top, ui_url)
    alert = Alert(key=key, kind=KIND, summary=message["text"], message=message, expires_at=end_of_week(today))
    return alert if ledger.record(alert) else None
