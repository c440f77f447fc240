"""boto3 sessions and clients for every configured account and region.

Which regions and accounts to read (SAGEMAKER_REGIONS, AWS_ROLE_ARNS) is passed in by the caller
(the SageMakerSource resource); the client settings below are read when a client is made:

- ``AWS_RETRY_MODE`` / ``AWS_MAX_ATTEMPTS``: botocore's retry mode (default ``standard``; ``adaptive`` adds client-side rate limiting) and total
  attempts per call (default 8). Throttling and 5xx answers are retried by botocore itself.
- ``AWS_ENDPOINT_URL`` and the other standard AWS variables are honoured by boto3 directly.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import boto3
from botocore.config import Config

from pipelines.lib import settings

DEFAULT_RETRY_MODE = "standard"
DEFAULT_MAX_ATTEMPTS = 8
ROLE_SESSION_NAME = "mlcost-ingest"

_ROLE_ARN = re.compile(r"^arn:aws[\w-]*:iam::(\d{12}):role/.+$")


def split_list(value: str | None) -> list[str]:
    """'a, b,,c' -> ['a', 'b', 'c'], order kept, duplicates dropped."""
    seen: dict[str, None] = {}
    for part in (value or "").split(","):
        if part.strip():
            seen.setdefault(part.strip(), None)
    return list(seen)


def parse_role_arns(value: str | None) -> list[str]:
    """AWS_ROLE_ARNS: a comma list of IAM roles to assume, one per account (empty: the default
    credential chain's own account only)."""
    arns = split_list(value)
    for arn in arns:
        if not _ROLE_ARN.match(arn):
            raise ValueError(
                f"AWS_ROLE_ARNS: {arn!r} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)"
            )
    return arns


def client_config() -> Config:
    """botocore config with its own retry handling (throttling and 5xx are retried with backoff)."""
    mode = settings.get("AWS_RETRY_MODE") or DEFAULT_RETRY_MODE
    if mode not in ("legacy", "standard", "adaptive"):
        raise ValueError(f"AWS_RETRY_MODE must be legacy, standard or adaptive, not {mode!r}")
    raw_attempts = settings.get("AWS_MAX_ATTEMPTS") or str(DEFAULT_MAX_ATTEMPTS)
    try:
        attempts = int(raw_attempts)
    except ValueError:
        raise ValueError(f"AWS_MAX_ATTEMPTS must be a whole number, not {raw_attempts!r}") from None
    return Config(retries={"mode": mode, "max_attempts": max(1, attempts)}, user_agent_extra="mlcost")


@dataclass(frozen=True)
class Account:
    """One AWS account to read from: its id, a session holding its credentials, and how we got in."""

    account_id: str
    session: boto3.Session
    role_arn: str | None = None

    @property
    def label(self) -> str:
        return f"account {self.account_id}" + (f" (role {self.role_arn})" if self.role_arn else "")

    def client(self, service: str, region: str):
        return self.session.client(service, region_name=region, config=client_config())


def base_session() -> boto3.Session:
    return boto3.Session()


def accounts_or_failures(failures: list[str], arns: list[str]) -> list[Account]:
    """Each configured account: one per role ARN, else the caller's own account.

    A role that cannot be assumed is appended to ``failures`` (named by its ARN, never with
    credentials) and skipped, so the other accounts are still read.
    """
    session = base_session()
    region = settings.get("AWS_REGION") or settings.get("AWS_DEFAULT_REGION") or "us-east-1"
    sts = session.client("sts", region_name=region, config=client_config())
    if not arns:
        try:
            identity = sts.get_caller_identity()
        except Exception as exc:  # noqa: BLE001 - reported by the caller
            failures.append(f"default credentials: {describe_error(exc)}")
            return []
        return [Account(account_id=identity["Account"], session=session)]
    found = []
    for arn in arns:
        try:
            creds = sts.assume_role(RoleArn=arn, RoleSessionName=ROLE_SESSION_NAME)["Credentials"]
        except Exception as exc:  # noqa: BLE001 - reported by the caller
            failures.append(f"role {arn}: {describe_error(exc)}")
            continue
        assumed = boto3.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        )
        found.append(Account(account_id=_ROLE_ARN.match(arn).group(1), session=assumed, role_arn=arn))
    return found


T = TypeVar("T")


def call_each_scope(
    accounts: list[Account],
    regions: list[str],
    service: str,
    call: Callable[[object, Account, str], T],
    on_error: Callable[[str], None],
) -> tuple[list[T], list[str]]:
    """``call(client, account, region)`` for every account and region; returns the results and a
    one-line, credential-free description of each scope that failed (also passed to ``on_error``),
    so one failing region never stops the others."""
    results: list[T] = []
    failures: list[str] = []
    for account in accounts:
        for region in regions:
            try:
                results.append(call(account.client(service, region), account, region))
            except Exception as exc:  # noqa: BLE001 - collected, reported together by the caller
                failures.append(f"{account.label} region {region}: {describe_error(exc)}")
                on_error(failures[-1])
    return results, failures


def describe_error(exc: BaseException) -> str:
    """A one-line, credential-free description of a boto3/botocore error."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and "Error" in response:
        err = response["Error"]
        return f"{err.get('Code', type(exc).__name__)}: {err.get('Message', '')}".strip()
    return f"{type(exc).__name__}: {exc}"
