"""An alert decided as of another day (MLCOST_AS_OF_DATE, the demo) keeps its lifetime from that day."""

from __future__ import annotations

import datetime as dt
import time

from pipelines.lib.alerts.due import as_ledger_alerts
from tests.alerts.test_messages import budget_alert


def test_alert_due_until_a_past_month_end_lives_on_when_today_is_set_to_that_month(monkeypatch):
    today = dt.datetime.now(dt.UTC).date()
    as_of = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=15)  # mid last month
    alert = budget_alert(billing_period=as_of.replace(day=1), due_until_date=as_of.replace(day=28))
    [without] = as_ledger_alerts([alert], [], "http://ui")
    assert without.expires_at < time.time()  # its month is over: it would expire unsent
    monkeypatch.setenv("MLCOST_AS_OF_DATE", as_of.isoformat())
    [with_as_of] = as_ledger_alerts([alert], [], "http://ui")
    assert with_as_of.expires_at - without.expires_at == (today - as_of).days * 86400
    assert with_as_of.expires_at > time.time()
