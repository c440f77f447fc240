"""The ledger: one entry per key, claims that only one process wins, the order alerts were decided in,
expiry, and ledgers written by an earlier release."""

from __future__ import annotations

import sqlite3
import time

from pipelines.lib.alerts.ledger import CLAIM_LEASE_SECONDS, Alert, Ledger


def test_a_claim_is_taken_by_one_process_and_a_dead_claim_is_taken_back(tmp_path):
    first, second = Ledger(tmp_path / "l.sqlite"), Ledger(tmp_path / "l.sqlite")
    assert first.record(Alert("k", "test", "s", {"text": "t"}))
    assert not second.record(Alert("k", "test", "s", {"text": "other"}))
    claimed = first.claim_next(now=1000.0)
    assert claimed is not None and claimed.message == {"text": "t"} and claimed.status == "sending"
    assert second.claim_next(now=1001.0) is None
    # The first process died while sending: after the lease the alert is due again.
    assert second.claim_next(now=1000.0 + CLAIM_LEASE_SECONDS + 1).key == "k"
    second.mark_sent("k", "test")
    assert first.claim_next(now=10_000.0) is None
    assert first.get("k").status == "sent"


def test_alerts_are_delivered_in_the_order_they_were_decided(tmp_path):
    ledger = Ledger(tmp_path / "l.sqlite")
    for key in (
        "budget:b:2026-03:actual:80",
        "budget:b:2026-03:actual:100",
        "anomaly:total:total:2026-03-02",
    ):
        ledger.record(Alert(key, "test", key, {"text": key}))
    order = []
    while (row := ledger.claim_next()) is not None:
        order.append(row.key.rsplit(":", 1)[-1])
        ledger.mark_sent(row.key, "test")
    assert order == ["80", "100", "2026-03-02"]


def test_an_expired_alert_is_never_claimed_and_reads_as_expired(tmp_path):
    ledger = Ledger(tmp_path / "l.sqlite")
    now = time.time()
    ledger.record(Alert("closed-month", "budget_actual", "old", {"text": "old"}, expires_at=now - 1))
    ledger.record(Alert("open-month", "budget_actual", "new", {"text": "new"}, expires_at=now + 3600))
    ledger.record(Alert("run-failure", "run_failure", "failed", {"text": "failed"}))
    assert [row.key for row in ledger.rows("expired")] == ["closed-month"]
    assert [row.key for row in ledger.rows("pending")] == ["open-month", "run-failure"]
    claimed = []
    while (row := ledger.claim_next()) is not None:
        claimed.append(row.key)
        ledger.mark_sent(row.key, "test")
    assert claimed == ["open-month", "run-failure"]


def test_a_ledger_from_an_earlier_release_keeps_its_alerts_and_gains_expiry(tmp_path):
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as conn:
        conn.executescript(
            "create table alerts (alert_key text primary key, kind text not null, status text not null "
            "check (status in ('pending', 'sending', 'sent')), summary text not null, message text not null, "
            "attempts integer not null default 0, last_error text, created_at text not null, "
            "next_attempt_at real not null default 0, claimed_at real, sent_at text, destination text);"
            "insert into alerts (alert_key, kind, status, summary, message, created_at, sent_at) values "
            "('budget:b:2026-03:actual:80', 'budget_actual', 'sent', 's', '{}', '2026-03-02', '2026-03-02'),"
            "('budget:b:2026-03:actual:100', 'budget_actual', 'pending', 's', '{\"text\": \"t\"}', '2026-03-02', null);"
        )
    ledger = Ledger(path)
    # The same alert decided again by the new release is not new: an upgrade sends nothing twice.
    assert not ledger.record(Alert("budget:b:2026-03:actual:80", "budget_actual", "s", {}))
    assert [(row.key, row.status) for row in ledger.rows()] == [
        ("budget:b:2026-03:actual:80", "sent"),
        ("budget:b:2026-03:actual:100", "pending"),
    ]
    assert ledger.claim_next().key == "budget:b:2026-03:actual:100"


def test_a_family_records_again_only_above_its_highest_level(tmp_path):
    ledger = Ledger(tmp_path / "l.sqlite")

    def anomaly(level: int) -> Alert:
        return Alert(
            "anomaly:model:m:2026-03-02",
            "anomaly",
            f"level {level}",
            {},
            family="anomaly:model:m:2026-03-02",
            level=level,
        )

    assert ledger.family_level("anomaly:model:m:2026-03-02") is None
    assert ledger.record(anomaly(2))
    assert [ledger.record(anomaly(level)) for level in (2, 1, 0, 3, 3, 2, 5)] == [
        False, False, False, True, False, False, True,
    ]  # fmt: skip
    assert [row.key for row in ledger.rows()] == [
        "anomaly:model:m:2026-03-02",
        "anomaly:model:m:2026-03-02:grew:3",
        "anomaly:model:m:2026-03-02:grew:5",
    ]
    assert ledger.family_level("anomaly:model:m:2026-03-02") == 5


def test_an_anomaly_announced_by_an_earlier_release_is_level_zero(tmp_path):
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as conn:
        conn.executescript(
            "create table alerts (alert_key text primary key, kind text not null, status text not null, "
            "summary text not null, message text not null, attempts integer not null default 0, "
            "last_error text, created_at text not null, next_attempt_at real not null default 0, "
            "claimed_at real, sent_at text, destination text, expires_at real);"
            "insert into alerts (alert_key, kind, status, summary, message, created_at) values "
            "('anomaly:total:total:2026-03-02', 'anomaly', 'sent', 's', '{}', '2026-03-02');"
        )
    ledger = Ledger(path)
    key = "anomaly:total:total:2026-03-02"
    # Decided again after the upgrade: not new; grown past the floor's first doubling: new.
    assert not ledger.record(Alert(key, "anomaly", "s", {}, family=key, level=0))
    assert ledger.record(Alert(key, "anomaly", "s", {}, family=key, level=1))
    assert [row.key for row in ledger.rows()] == [key, f"{key}:grew:1"]
