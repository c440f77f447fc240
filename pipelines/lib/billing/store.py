"""Where billing exports live: a local folder or an S3 prefix, seen as relative paths.

S3 is read with boto3 (DuckDB's httpfs cannot be installed everywhere); files are downloaded to a
local working folder only when a billing period that needs them is loaded.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pipelines.lib.billing import BillingInputError


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
        if not self.root.is_dir():
            raise BillingInputError(f"CUR_EXPORT_URI {self.root} is not a folder")

    def list(self) -> list[StoredFile]:
        files = []
        for dirpath, dirnames, filenames in os.walk(self.root):
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
    def __init__(self, uri: str):
        import boto3

        from pipelines.lib.aws import client_config

        self.uri = uri
        bucket, _, prefix = uri[len("s3://") :].partition("/")
        if not bucket:
            raise BillingInputError(f"CUR_EXPORT_URI {uri!r} names no bucket")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        # AWS_ENDPOINT_URL and the standard credential variables are honoured by boto3 itself.
        # AWS_RETRY_MODE / AWS_MAX_ATTEMPTS apply here as to every other AWS client.
        self.client = boto3.client("s3", config=client_config())

    def _key(self, path: str) -> str:
        return f"{self.prefix}/{path}" if self.prefix else path

    def list(self) -> list[StoredFile]:
        files = []
        paginator = self.client.get_paginator("list_objects_v2")
        start = f"{self.prefix}/" if self.prefix else ""
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
        return sorted(files, key=lambda f: f.path)

    def read_bytes(self, path: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=self._key(path))["Body"].read()

    def local_path(self, path: str, workdir: Path) -> Path:
        target = workdir / path
        target.parent.mkdir(parents=True, exist_ok=True)
        self.client.download_file(self.bucket, self._key(path), str(target))
        return target


def open_store(uri: str) -> ExportStore:
    if uri.startswith("s3://"):
        return S3Store(uri)
    if "://" in uri and not uri.startswith("file://"):
        raise BillingInputError(f"CUR_EXPORT_URI {uri!r}: only local folders and s3:// are supported")
    return LocalStore(uri.removeprefix("file://"))


class WorkDir:
    """A temporary folder for downloads and unpacked archives, removed afterwards."""

    def __enter__(self) -> Path:
        self.path = Path(tempfile.mkdtemp(prefix="mlcost-billing-"))
        return self.path

    def __exit__(self, *exc) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
