"""Read and validate the budgets file (BUDGETS_FILE).

The file is the contract users and scripts write against::

    budgets:
      - name: churn-model
        scope: model              # total | model | team | project | environment | category | service | tag:<key>
        value: churn
        amount: 3000              # per billing period, in `currency`
        currency: USD             # ISO 4217 code, default USD; only cost billed in it counts
        cost_basis: effective     # effective (default) | billed
        actual_thresholds: [50, 80, 100]   # default [80, 100]
        forecast_thresholds: [100]         # default [100]

Every error names the file, the line and the reason, and all of them are reported at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml

from pipelines.lib.config_yaml import ConfigFileError, compose, node_line

SCOPES = ("total", "model", "team", "project", "environment", "category", "service")
COST_BASES = ("effective", "billed")
CATEGORIES = (
    "training", "inference", "processing", "notebook", "storage", "data_transfer", "genai", "ai_services", "other",
)  # fmt: skip
DEFAULT_ACTUAL_THRESHOLDS = (80.0, 100.0)
DEFAULT_FORECAST_THRESHOLDS = (100.0,)
DEFAULT_CURRENCY = "USD"
KEYS = {
    "name",
    "scope",
    "value",
    "amount",
    "currency",
    "cost_basis",
    "actual_thresholds",
    "forecast_thresholds",
}
_TAG_SCOPE = re.compile(r"^tag:[^\s:]+$", re.IGNORECASE)
_CURRENCY = re.compile(r"^[A-Za-z]{3}$")


class BudgetsFileError(ConfigFileError):
    """The budgets file is malformed; the message lists every problem with its line."""

    kind = "budgets"


@dataclass(frozen=True)
class Budget:
    name: str
    scope: str
    value: str | None
    amount: Decimal
    currency: str = DEFAULT_CURRENCY
    cost_basis: str = "effective"
    actual_thresholds: tuple[float, ...] = DEFAULT_ACTUAL_THRESHOLDS
    forecast_thresholds: tuple[float, ...] = DEFAULT_FORECAST_THRESHOLDS
    line: int = 0


def _scalar(node: yaml.Node) -> str | None:
    return node.value if isinstance(node, yaml.ScalarNode) else None


def _number(node: yaml.Node) -> Decimal | None:
    text = _scalar(node)
    if text is None or node.tag not in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float"):
        return None
    try:
        value = Decimal(text.replace("_", ""))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _thresholds(node: yaml.Node, key: str, problems: list[tuple[int, str]]) -> tuple[float, ...] | None:
    if not isinstance(node, yaml.SequenceNode):
        problems.append((node_line(node), f"{key} must be a list of percentages, e.g. [80, 100]"))
        return None
    values = []
    for item in node.value:
        number = _number(item)
        if number is None or number <= 0:
            problems.append(
                (node_line(item), f"{key} holds {_scalar(item)!r}: each threshold must be a positive number")
            )
            return None
        values.append(float(number))
    return tuple(sorted(set(values)))


def parse(text: str, path: Path | str = "<budgets>") -> list[Budget]:
    """Budgets from YAML text; raises BudgetsFileError naming each bad line."""
    root = compose(text, path, BudgetsFileError)
    if root is None:
        return []
    if not isinstance(root, yaml.MappingNode):
        raise BudgetsFileError(path, [(node_line(root), "the file must be a mapping with a 'budgets' list")])
    top = {_scalar(k): v for k, v in root.value}
    problems: list[tuple[int, str]] = []
    for key_node, _ in root.value:
        if _scalar(key_node) != "budgets":
            problems.append((node_line(key_node), f"unknown key {_scalar(key_node)!r} (expected 'budgets')"))
    items = top.get("budgets")
    if items is None:
        if problems:
            raise BudgetsFileError(path, problems)
        return []
    if isinstance(items, yaml.ScalarNode) and items.tag == "tag:yaml.org,2002:null":
        return []
    if not isinstance(items, yaml.SequenceNode):
        raise BudgetsFileError(path, [(node_line(items), "'budgets' must be a list")])

    budgets: list[Budget] = []
    seen: dict[str, int] = {}
    for item in items.value:
        line = node_line(item)
        if not isinstance(item, yaml.MappingNode):
            problems.append((line, "each budget must be a mapping with name, scope and amount"))
            continue
        fields = {}
        for key_node, value_node in item.value:
            key = _scalar(key_node)
            if key not in KEYS:
                problems.append(
                    (node_line(key_node), f"unknown key {key!r} (expected one of {', '.join(sorted(KEYS))})")
                )
                continue
            if key in fields:
                problems.append((node_line(key_node), f"key {key!r} given twice"))
            fields[key] = value_node
        before = len(problems)

        name = _scalar(fields["name"]).strip() if "name" in fields and _scalar(fields["name"]) else None
        if name is None:
            problems.append((line, "missing name"))
        elif name.lower() in seen:
            problems.append(
                (
                    node_line(fields["name"]),
                    f"duplicate name {name!r} (first used on line {seen[name.lower()]})",
                )
            )
        else:
            seen[name.lower()] = node_line(fields["name"])
        label = f"budget {name!r}: " if name else ""

        scope = (_scalar(fields["scope"]) or "").strip().lower() if "scope" in fields else None
        if scope is None:
            problems.append((line, f"{label}missing scope"))
        elif scope not in SCOPES and not _TAG_SCOPE.match(scope):
            problems.append(
                (
                    node_line(fields["scope"]),
                    f"{label}unknown scope {scope!r} (expected {' | '.join(SCOPES)} | tag:<key>)",
                )
            )

        value = _scalar(fields["value"]) if "value" in fields else None
        value = value.strip() if value and value.strip() else None
        if scope and scope != "total" and value is None:
            problems.append((line, f"{label}scope {scope!r} needs a value"))
        if scope == "total" and value is not None:
            problems.append((node_line(fields["value"]), f"{label}scope 'total' takes no value"))
        if scope == "category" and value is not None and value.lower() not in CATEGORIES:
            problems.append(
                (
                    node_line(fields["value"]),
                    f"{label}unknown category {value!r} (expected {' | '.join(CATEGORIES)})",
                )
            )

        amount = None
        if "amount" not in fields:
            problems.append((line, f"{label}missing amount"))
        else:
            amount = _number(fields["amount"])
            if amount is None:
                problems.append(
                    (
                        node_line(fields["amount"]),
                        f"{label}amount {_scalar(fields['amount'])!r} is not a number",
                    )
                )
            elif amount < 0:
                problems.append((node_line(fields["amount"]), f"{label}negative amount {amount}"))

        # Amounts in different currencies are never added up: a budget counts only its currency.
        currency = DEFAULT_CURRENCY
        if "currency" in fields:
            currency = (_scalar(fields["currency"]) or "").strip().upper()
            if not _CURRENCY.match(currency):
                problems.append(
                    (
                        node_line(fields["currency"]),
                        f"{label}currency {_scalar(fields['currency'])!r} is not a 3-letter ISO 4217 code "
                        "(e.g. USD, EUR, JPY)",
                    )
                )

        cost_basis = "effective"
        if "cost_basis" in fields:
            cost_basis = (_scalar(fields["cost_basis"]) or "").strip().lower()
            if cost_basis not in COST_BASES:
                problems.append(
                    (
                        node_line(fields["cost_basis"]),
                        f"{label}unknown cost_basis {cost_basis!r} (expected effective | billed)",
                    )
                )

        actual = DEFAULT_ACTUAL_THRESHOLDS
        if "actual_thresholds" in fields:
            actual = _thresholds(fields["actual_thresholds"], "actual_thresholds", problems)
        forecast = DEFAULT_FORECAST_THRESHOLDS
        if "forecast_thresholds" in fields:
            forecast = _thresholds(fields["forecast_thresholds"], "forecast_thresholds", problems)

        if len(problems) == before:
            budgets.append(
                Budget(
                    name=name,
                    scope=scope,
                    value=value,
                    amount=amount,
                    currency=currency,
                    cost_basis=cost_basis,
                    actual_thresholds=actual,
                    forecast_thresholds=forecast,
                    line=line,
                )
            )
    if problems:
        raise BudgetsFileError(path, problems)
    return budgets


def load(path: Path | str) -> list[Budget]:
    """Budgets from a file; a missing file is an error naming the path."""
    target = Path(path)
    if not target.is_file():
        raise BudgetsFileError(target, [(0, "file not found (set BUDGETS_FILE to your budgets file)")])
    return parse(target.read_text(), target)
