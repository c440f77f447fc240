"""The dbt CLI as mlcost runs it: dagster-dbt's DbtCliResource without two start-up costs it does not
need, and with dbt's partial parse kept per warehouse (docs/scale.md, "What one refresh spends").

Before every `dbt build`, dagster-dbt 0.29's DbtCliResource.cli runs `dbt --version` (a second dbt
process, which also asks PyPI for dbt's latest release) to tell dbt Core from dbt Fusion, and sets
up a dbt adapter in this process (profile, project, dbt's base macros). The adapter serves only
`fetch_row_counts()` and `fetch_column_metadata()`, which mlcost does not call: dbt_models.py reads
row counts and column types from the warehouse itself once dbt has ended. So this resource gives the
installed dbt-core's version when the executable is this environment's dbt, and no adapter.

dbt re-parses the whole project when the profile's connection keys differ from those its
partial_parse.msgpack was made with, and profiles.yml's `path` is WAREHOUSE_PATH. dagster-dbt seeds
each invocation's target folder with the project's target/partial_parse.msgpack (`make dbt-parse`,
made with the default WAREHOUSE_PATH), so a refresh of any other warehouse paid a full parse every
time. Each warehouse now keeps the partial parse its last build wrote, under
target/partial_parse/, and its next build starts from it: the first build of a warehouse parses the
whole project, later ones only what changed. dbt itself decides whether a saved parse still holds
(dbt version, profile, vars, file checksums), so a stale one costs a full parse, never a wrong one.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import sys
import uuid
from functools import cached_property
from importlib.metadata import version as installed_version
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliInvocation, DbtCliResource
from packaging.version import Version

from pipelines.lib.dbt_forkserver import CLIENT

# dbt's name for the saved parse, in a target folder.
PARTIAL_PARSE_FILE = "partial_parse.msgpack"
# Under the project's target folder: one saved parse per warehouse (and dbt target).
PARTIAL_PARSE_CACHE = "partial_parse"


class MlcostDbtCliResource(DbtCliResource):
    """dagster-dbt's DbtCliResource, minus `dbt --version` and the in-process dbt adapter, with a
    partial parse kept per warehouse (see the module docstring)."""

    @cached_property
    def _cli_version(self) -> Version:
        # dagster-dbt asks only whether dbt is Core (< 2) or Fusion; this environment's dbt is the
        # installed dbt-core. Any other executable is asked, as dagster-dbt does.
        # (mlcost-dbt runs this environment's dbt, forked or exec'd: lib/dbt_forkserver.py.)
        here = Path(sys.executable).parent
        if _resolved(self.dbt_executable) in {_resolved(str(here / "dbt")), _resolved(str(here / CLIENT))}:
            return Version(installed_version("dbt-core"))
        return super()._cli_version

    def _initialize_dbt_core_adapter(self, args):  # noqa: ARG002 (dagster-dbt's signature)
        # Used only by fetch_row_counts() and fetch_column_metadata(): none here.
        return None

    def cli(self, args, *, context=None, target_path: Path | None = None, **kwargs) -> DbtCliInvocation:
        """dagster-dbt's cli(), in a new target folder seeded with the saved parse of this warehouse
        (when there is one); `keep_partial_parse` saves dbt's own once it has ended."""
        if target_path is None:
            name = uuid.uuid4().hex[:7]
            if context is not None:
                name = f"{context.op_execution_context.op.name}-{context.run.run_id[:7]}-{name}"
            target_path = self.project_target() / name
            target_path.mkdir(parents=True)
            # copy2 keeps the modification time: keep_partial_parse sees whether dbt wrote anew. With
            # none saved, dagster-dbt copies the project's own (`make dbt-parse`, `dagster dev`).
            with contextlib.suppress(FileNotFoundError):
                shutil.copy2(self.saved_partial_parse(), target_path / PARTIAL_PARSE_FILE)
        return super().cli(args, context=context, target_path=target_path, **kwargs)

    def project_target(self) -> Path:
        """The project's target folder, where dagster-dbt puts each invocation's own."""
        target = Path(os.environ.get("DBT_TARGET_PATH") or "target")
        return target if target.is_absolute() else Path(self.project_dir) / target

    def saved_partial_parse(self) -> Path:
        """Where the partial parse of the warehouse dbt builds now (WAREHOUSE_PATH, and the dbt target)
        is kept: named after the warehouse file, with a hash of its full path."""
        # dbt reads a relative path from the project folder, where it runs.
        warehouse = Path(self.project_dir, os.environ.get("WAREHOUSE_PATH", "")).expanduser().resolve()
        dbt_target = self.target or os.environ.get("DBT_TARGET") or ""
        digest = hashlib.sha256(f"{warehouse}\0{dbt_target}".encode()).hexdigest()[:12]
        return self.project_target() / PARTIAL_PARSE_CACHE / f"{warehouse.stem}-{digest}.msgpack"

    def keep_partial_parse(
        self, invocation: DbtCliInvocation, log: dg.DagsterLogManager | None = None
    ) -> None:
        """Save the partial parse that dbt wrote in this invocation as its warehouse's, atomically (a
        build that reads it meanwhile sees the old file or the new one, whole). Nothing to save when
        dbt reused the seeded parse unchanged, or stopped before it had written the manifest (after
        the parse)."""
        written = Path(invocation.target_path) / PARTIAL_PARSE_FILE
        if not written.exists() or not (Path(invocation.target_path) / "manifest.json").exists():
            return
        saved = self.saved_partial_parse()
        partial = saved.with_name(f"{saved.name}.{os.getpid()}.tmp")
        try:
            if saved.exists() and saved.stat().st_mtime_ns == written.stat().st_mtime_ns:
                return
            saved.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(written, partial)
            os.replace(partial, saved)
        except OSError as exc:  # a read-only project, say: the next build parses in full, as before
            partial.unlink(missing_ok=True)
            if log is not None:
                log.warning(f"could not keep dbt's partial parse in {saved}: {exc}")


def _resolved(executable: str) -> Path:
    return Path(shutil.which(executable) or executable).resolve()
