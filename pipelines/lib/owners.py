"""Read and validate the owners file (OWNERS_FILE): who owns the cost of a linked account.

Like AWS Cost Categories' rules by linked account, the file says who owns cost that no tag and no
SageMaker metadata attributes. marts.cost_attribution uses a rule only for such usage (never for
tax, credits, fees or unused commitments, which marts.cost_allocated shares out), with
attribution_source `account_rule`. The file is the contract users and scripts write against::

    owners:
      - account: "087654321098"   # linked (usage) account id, 12 digits
        service: AmazonEC2        # optional: only this service code
        region: us-east-1         # optional: only this region
        team: research            # at least one of team, project, model
        project: experiments
        environment: dev
        model: embeddings         # optional

A line matches the most specific rule for its account (account, service and region before account
and service, before account and region, before account alone). Every error names the file, the line,
the entry and the field, and all of them are reported at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from pipelines.lib.config_yaml import ConfigFileError, compose, node_line

OWNER_FIELDS = ("team", "project", "environment", "model")
KEYS = {"account", "service", "region", *OWNER_FIELDS}
_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
_SERVICE = re.compile(r"^[A-Za-z][A-Za-z0-9._-]*$")


class OwnersFileError(ConfigFileError):
    """The owners file is malformed; the message lists every problem with its line."""

    kind = "owners"


@dataclass(frozen=True)
class OwnerRule:
    account: str
    service: str | None = None
    region: str | None = None
    team: str | None = None
    project: str | None = None
    environment: str | None = None
    model: str | None = None
    line: int = 0


def _text(node: yaml.Node) -> str | None:
    """A non-empty string scalar, stripped; None for anything else (lists, maps, null, blank)."""
    if not isinstance(node, yaml.ScalarNode) or node.tag == "tag:yaml.org,2002:null":
        return None
    return node.value.strip() or None


def parse(text: str, path: Path | str = "<owners>") -> list[OwnerRule]:
    """Owner rules from YAML text; raises OwnersFileError naming each bad line, entry and field."""
    root = compose(text, path, OwnersFileError)
    if root is None:
        return []
    if not isinstance(root, yaml.MappingNode):
        raise OwnersFileError(path, [(node_line(root), "the file must be a mapping with an 'owners' list")])
    problems: list[tuple[int, str]] = []
    items = None
    for key_node, value_node in root.value:
        if _text(key_node) == "owners":
            items = value_node
        else:
            problems.append((node_line(key_node), f"unknown key {_text(key_node)!r} (expected 'owners')"))
    if items is None or (isinstance(items, yaml.ScalarNode) and items.tag == "tag:yaml.org,2002:null"):
        if problems:
            raise OwnersFileError(path, problems)
        return []
    if not isinstance(items, yaml.SequenceNode):
        raise OwnersFileError(path, [(node_line(items), "'owners' must be a list")])

    rules: list[OwnerRule] = []
    seen: dict[tuple[str, str | None, str | None], int] = {}
    for number, item in enumerate(items.value, start=1):
        line = node_line(item)
        label = f"owner rule {number}: "
        if not isinstance(item, yaml.MappingNode):
            problems.append((line, f"{label}each rule must be a mapping with account and an owner"))
            continue
        before = len(problems)
        values: dict[str, str | None] = {}
        lines: dict[str, int] = {}
        for key_node, value_node in item.value:
            key = _text(key_node)
            if key not in KEYS:
                problems.append(
                    (
                        node_line(key_node),
                        f"{label}unknown field {key!r} (expected one of {', '.join(sorted(KEYS))})",
                    )
                )
                continue
            if key in values:
                problems.append((node_line(key_node), f"{label}field {key!r} given twice"))
            value = _text(value_node)
            if value is None:
                problems.append(
                    (node_line(value_node), f"{label}field {key!r} must be a non-empty text value")
                )
            values[key] = value
            lines[key] = node_line(value_node)

        account = values.get("account")
        if "account" not in values:
            problems.append((line, f"{label}missing field 'account' (the linked account id)"))
        elif account is not None and not _ACCOUNT.match(account):
            problems.append(
                (lines["account"], f"{label}field 'account' is {account!r}: expected a 12-digit account id")
            )
        service, region = values.get("service"), values.get("region")
        if service is not None and not _SERVICE.match(service):
            problems.append(
                (
                    lines["service"],
                    f"{label}field 'service' is {service!r}: expected a service code like AmazonEC2",
                )
            )
        if region is not None and not _REGION.match(region):
            problems.append(
                (
                    lines["region"],
                    f"{label}field 'region' is {region!r}: expected a region code like us-east-1",
                )
            )
        if not any(field in values for field in ("team", "project", "model")):
            problems.append(
                (line, f"{label}needs at least one of team, project, model (an environment is no owner)")
            )

        if len(problems) == before:
            label_key = (account, service, region)
            if label_key in seen:
                problems.append(
                    (line, f"{label}same account, service and region as the rule on line {seen[label_key]}")
                )
                continue
            seen[label_key] = line
            rules.append(
                OwnerRule(
                    account=account,
                    service=service,
                    region=region,
                    team=values.get("team"),
                    project=values.get("project"),
                    environment=values.get("environment"),
                    model=values.get("model"),
                    line=line,
                )
            )
    if problems:
        raise OwnersFileError(path, problems)
    return rules


def load(path: Path | str) -> list[OwnerRule]:
    """Owner rules from a file; a missing file is an error naming the path."""
    target = Path(path)
    if not target.is_file():
        raise OwnersFileError(target, [(0, "file not found (set OWNERS_FILE to your owners file)")])
    return parse(target.read_text(), target)
