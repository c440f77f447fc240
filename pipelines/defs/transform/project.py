"""The dbt project, in its own module so tooling can import it without loading assets."""

from pathlib import Path

from dagster_dbt import DbtProject

from pipelines.lib.settings import REPO_ROOT

dbt_project = DbtProject(
    project_dir=Path(REPO_ROOT / "dbt_project"),
    profiles_dir=Path(REPO_ROOT / "dbt_project"),
)
dbt_project.prepare_if_dev()
