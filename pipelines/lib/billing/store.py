"""Where billing exports live: a local folder or an S3 prefix, seen as relative paths.

S3 is read with boto3 (DuckDB's httpfs cannot be installed everywhere); files are downloaded to a
local working folder only when a billing period that needs them is loaded.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.lib import settings
from pipelines.lib.billing import BillingInputError, ExportLocationError

WHAT_TO_SET = "set CUR_EXPORT_URI to the folder (or s3://bucket/prefix) your billing exports are delivered to"


@dataclass(frozen=True)
class StoredFile:
    path: str  # relative to the store root, '/'-separated
    size: int
    version: str  # mtime (local) or ETag (S3): changes when the file is rewritten
    modified: float  # seconds since epoch


class ExportStore:
    """Common interface of local and S3 export locations."""

    uri: str

    def list(self) -> list[StoredFile]:
        raise NotImplementedError

    def read_bytes(self, path: str) -> bytes:
        raise NotImplementedError

    def local_path(self, path: str, workdir: Path) -> Path:
        """A local file with the content of `path` (downloaded into `workdir` for S3)."""
        raise NotImplementedError

    def display(self, path: str) -> str:
        """How a file is named in messages and in `source_file`."""
        return f"{self.uri.rstrip('/')}/{path}"


class LocalStore(ExportStore):
    def __init__(self, root: str | Path):
        self.root = Path(root).expanduser().resolve()
        self.uri = str(self.root)
        if not self.root.exists():
            raise ExportLocationError(f"CUR_EXPORT_URI={root}: no such folder; {WHAT_TO_SET}")
        if not self.root.is_dir():
            raise ExportLocationError(
                f"CUR_EXPORT_URI={root} is a file, not a folder; set it to the folder that holds the "
                f"exports (perhaps {self.root.parent})"
            )
        if not os.access(self.root, os.R_OK | os.X_OK):
            raise ExportLocationError(f"CUR_EXPORT_URI={root}: the folder cannot be read (permissions)")

    def list(self) -> list[StoredFile]:
        files = []

        def unreadable(exc: OSError) -> None:  # os.walk skips what it cannot read unless told
            raise ExportLocationError(
                f"CUR_EXPORT_URI={self.uri}: cannot read {exc.filename} ({exc.strerror}); its files "
                "would be missed, so nothing is loaded until it can be read"
            ) from exc

        for dirpath, dirnames, filenames in os.walk(self.root, onerror=unreadable):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                if name.startswith("."):
                    continue
                full = Path(dirpath) / name
                stat = full.stat()
                files.append(
                    StoredFile(
                        path=full.relative_to(self.root).as_posix(),
                        size=stat.st_size,
                        version=str(stat.st_mtime_ns),
                        modified=stat.st_mtime,
                    )
                )
        return files

    def read_bytes(self, path: str) -> bytes:
        return (self.root / path).read_bytes()

    def local_path(self, path: str, workdir: Path) -> Path:
        return self.root / path


class S3Store(ExportStore):
    def __init__(self, uri: str, client_factory: Callable[[], Any]):
        self.uri = uri
        bucket, _, prefix = uri[len("s3://") :].partition("/")
        if not bucket:
            raise ExportLocationError(f"CUR_EXPORT_URI={uri}: names no bucket; {WHAT_TO_SET}")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.listed: dict[str, StoredFile] = {}  # the sizes downloads must match
        # The client comes configured (endpoint, region, retries) from the caller: under Dagster the
        # one S3 resource (defs/resources.py). Credentials come from boto3's default chain.
        try:
            self.client = client_factory()
        except ValueError as exc:  # a bad setting of the client, named by the message
            raise ExportLocationError(f"CUR_EXPORT_URI={uri}: {exc}") from exc

    def _key(self, path: str) -> str:
        return f"{self.prefix}/{path}" if self.prefix else path

    def list(self) -> list[StoredFile]:
        files = []
        paginator = self.client.get_paginator("list_objects_v2")
        start = f"{self.prefix}/" if self.prefix else ""
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=start):
                for obj in page.get("Contents", []):
                    rel = obj["Key"][len(start) :]
                    if not rel or rel.endswith("/"):
                        continue
                    files.append(
                        StoredFile(
                            path=rel,
                            size=obj["Size"],
                            version=obj["ETag"].strip('"'),
                            modified=obj["LastModified"].timestamp(),
                        )
                    )
        except Exception as exc:  # noqa: BLE001 - every boto failure becomes one actionable line
            raise s3_problem(self.uri, self.bucket, exc) from exc
        self.listed = {f.path: f for f in files}
        return sorted(files, key=lambda f: f.path)

    def read_bytes(self, path: str) -> bytes:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(path))["Body"].read()
        except Exception as exc:  # noqa: BLE001 - every boto failure becomes one actionable line
            raise s3_problem(self.uri, self.bucket, exc, self.display(path)) from exc

    def local_path(self, path: str, workdir: Path) -> Path:
        """Download into workdir; the file must arrive whole, with the size the listing gave."""
        target = workdir / path
        listed = self.listed.get(path)
        if listed and target.exists() and target.stat().st_size == listed.size:
            return target  # downloaded earlier in this load (re-read to name a failing value)
        target.parent.mkdir(parents=True, exist_ok=True)
        label = self.display(path)
        try:
            self.client.download_file(self.bucket, self._key(path), str(target))
        except Exception as exc:  # noqa: BLE001 - a failed or cut download fails the period, named
            raise BillingInputError(
                f"{label}: download failed ({_one_line(exc)}); the billing period was not changed"
            ) from exc
        size = target.stat().st_size
        if listed and size != listed.size:
            raise BillingInputError(
                f"{label}: downloaded {size:,} bytes but S3 listed {listed.size:,} (the object changed "
                "or the download was cut); the billing period was not changed, the next refresh retries"
            )
        return target


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def s3_problem(uri: str, bucket: str, exc: Exception, what: str | None = None) -> ExportLocationError:
    """A boto3/botocore failure as one line naming CUR_EXPORT_URI and what to do about it."""
    from botocore import exceptions as boto

    where = f"CUR_EXPORT_URI={uri}" + (f" ({what})" if what else "")
    if isinstance(
        exc, boto.NoCredentialsError | boto.PartialCredentialsError | boto.CredentialRetrievalError
    ):
        return ExportLocationError(
            f"{where}: no AWS credentials found; set AWS_PROFILE, or AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, or run where an IAM role provides them"
        )
    if isinstance(exc, boto.EndpointConnectionError | boto.ConnectTimeoutError | boto.ReadTimeoutError):
        endpoint = settings.get("AWS_ENDPOINT_URL")
        hint = (
            f"check AWS_ENDPOINT_URL={endpoint}" if endpoint else "check the network and AWS_DEFAULT_REGION"
        )
        return ExportLocationError(f"{where}: S3 is unreachable ({_one_line(exc)}); {hint}")
    if isinstance(exc, boto.ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in ("NoSuchBucket", "404"):
            return ExportLocationError(f"{where}: bucket {bucket!r} does not exist; {WHAT_TO_SET}")
        if code in (
            "InvalidAccessKeyId",
            "SignatureDoesNotMatch",
            "ExpiredToken",
            "InvalidToken",
            "TokenRefreshRequired",
        ):
            return ExportLocationError(
                f"{where}: AWS rejected the credentials ({code}); check AWS_PROFILE or "
                "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN"
            )
        if code in ("AccessDenied", "AllAccessDisabled", "403"):
            return ExportLocationError(
                f"{where}: access denied; the credentials need s3:ListBucket on {bucket!r} and "
                "s3:GetObject on the export prefix"
            )
        return ExportLocationError(f"{where}: S3 answered {code or 'an error'} ({_one_line(exc)})")
    return ExportLocationError(f"{where}: S3 cannot be read ({type(exc).__name__}: {_one_line(exc)})")


def open_store(uri: str, s3_client: Callable[[], Any] | None = None) -> ExportStore:
    """The export location at `uri`; for s3:// `s3_client` makes the (configured) boto3 S3 client."""
    if uri.startswith("s3://"):
        if s3_client is None:
            raise ValueError(f"CUR_EXPORT_URI={uri}: reading S3 needs an S3 client (the s3 resource)")
        return S3Store(uri, s3_client)
    if "://" in uri and not uri.startswith("file://"):
        raise ExportLocationError(f"CUR_EXPORT_URI={uri}: only local folders and s3:// are supported")
    return LocalStore(uri.removeprefix("file://"))


class WorkDir:
    """A temporary folder for downloads and unpacked archives, removed afterwards."""

    def __enter__(self) -> Path:
        self.path = Path(tempfile.mkdtemp(prefix="mlcost-billing-"))
        return self.path

    def __exit__(self, *exc) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
