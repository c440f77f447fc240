"""Budget, anomaly and run-failure alerts: pure decisions, Block Kit messages, a durable ledger, delivery.

Nothing here imports Dagster: sensors, ops and the `mlcost alerts` command all call these helpers.
"""
