"""Alerts after the warehouse decided them: the durable ledger, Block Kit messages, delivery.

Whether an alert is due is decided in dbt (marts.budget_alerts, marts.cost_anomalies); nothing here
decides it, and nothing here imports Dagster: the ledger asset, the sensors and `mlcost alerts` all
call these helpers.
"""
