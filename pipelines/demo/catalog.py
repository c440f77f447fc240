"""The demo organisation: one deterministic catalog of models, endpoints, jobs and notebooks.

Both the demo bill (pipelines/demo/billing.py) and the demo SageMaker, CloudWatch and
prediction-log data are generated from the same `DemoCatalog`, so names, instance types, tags and
hours agree everywhere. Everything is a pure function of (seed, as_of, months): no clock, no I/O.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass, field

UTC = dt.UTC
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)

PAYER_ACCOUNT_ID = "012345678901"
PROD_ACCOUNT_ID = "041234567890"
DEV_ACCOUNT_ID = "087654321098"
REGIONS = ["us-east-1", "us-west-2"]

ARN_KINDS = ("endpoint", "training-job", "processing-job", "transform-job", "notebook-instance", "model")


def arn(kind: str, account_id: str, region: str, name: str) -> str:
    """The SageMaker ARN of a resource; the bill's line_item_resource_id uses exactly this."""
    if kind not in ARN_KINDS:
        raise ValueError(f"unknown SageMaker ARN kind {kind!r}; expected one of {', '.join(ARN_KINDS)}")
    return f"arn:aws:sagemaker:{region}:{account_id}:{kind}/{name.lower()}"


def unit(seed: int, *parts: object) -> float:
    """A deterministic pseudo-random number in [0, 1) for the given key."""
    key = "|".join(str(p) for p in (seed, *parts)).encode()
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big") / 2.0**64


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=UTC)


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _ceil_hour(moment: dt.datetime) -> dt.datetime:
    floor = moment.replace(minute=0, second=0, microsecond=0)
    return floor if floor == moment else floor + HOUR


@dataclass(frozen=True)
class DemoModel:
    model_name: str
    account_id: str
    region: str
    image: str
    created_at: dt.datetime
    is_multi_model: bool
    tags: dict[str, str]
    team: str
    project: str


@dataclass(frozen=True)
class DemoVariant:
    variant_name: str
    model_names: list[str]
    instance_type: str | None
    instance_count: int
    serverless_memory_mb: int | None = None


@dataclass(frozen=True)
class DemoEndpoint:
    endpoint_name: str
    account_id: str
    region: str
    endpoint_config_name: str
    created_at: dt.datetime
    deleted_at: dt.datetime | None
    variants: list[DemoVariant]
    tags: dict[str, str]
    is_async: bool
    # The true owner, whatever the tags say (None model for the multi-model endpoint).
    model_name: str | None
    team: str
    project: str
    environment: str

    @property
    def arn(self) -> str:
        return arn("endpoint", self.account_id, self.region, self.endpoint_name)

    @property
    def model_names(self) -> list[str]:
        return sorted({m for v in self.variants for m in v.model_names})

    def is_alive(self, hour_start: dt.datetime) -> bool:
        """True when the whole hour lies inside the endpoint's lifetime."""
        if hour_start < _ceil_hour(self.created_at):
            return False
        return self.deleted_at is None or hour_start + HOUR <= self.deleted_at


@dataclass(frozen=True)
class DemoTrainingJob:
    training_job_name: str
    account_id: str
    region: str
    created_at: dt.datetime
    started_at: dt.datetime
    ended_at: dt.datetime
    status: str
    instance_type: str
    instance_count: int
    volume_size_gb: int
    is_managed_spot: bool
    training_seconds: int
    billable_seconds: int
    max_wait_seconds: int | None
    image: str
    tuning_job_name: str | None
    final_metrics: dict[str, float]
    tags: dict[str, str]
    model_name: str
    team: str
    project: str
    environment: str

    @property
    def arn(self) -> str:
        return arn("training-job", self.account_id, self.region, self.training_job_name)


@dataclass(frozen=True)
class DemoProcessingJob:
    processing_job_name: str
    account_id: str
    region: str
    created_at: dt.datetime
    started_at: dt.datetime
    ended_at: dt.datetime
    status: str
    instance_type: str
    instance_count: int
    volume_size_gb: int
    tags: dict[str, str]
    model_name: str
    team: str
    project: str
    environment: str

    @property
    def arn(self) -> str:
        return arn("processing-job", self.account_id, self.region, self.processing_job_name)


@dataclass(frozen=True)
class DemoTransformJob:
    transform_job_name: str
    account_id: str
    region: str
    created_at: dt.datetime
    started_at: dt.datetime
    ended_at: dt.datetime
    status: str
    instance_type: str
    instance_count: int
    tags: dict[str, str]
    model_name: str
    team: str
    project: str
    environment: str

    @property
    def arn(self) -> str:
        return arn("transform-job", self.account_id, self.region, self.transform_job_name)


@dataclass(frozen=True)
class DemoNotebook:
    notebook_instance_name: str
    account_id: str
    region: str
    instance_type: str
    volume_size_gb: int
    created_at: dt.datetime
    last_modified_at: dt.datetime
    status: str  # InService or Stopped (stopped at last_modified_at)
    tags: dict[str, str]
    model_name: str | None
    team: str
    project: str
    environment: str

    @property
    def arn(self) -> str:
        return arn("notebook-instance", self.account_id, self.region, self.notebook_instance_name)

    @property
    def stopped_at(self) -> dt.datetime | None:
        return self.last_modified_at if self.status == "Stopped" else None


@dataclass(frozen=True)
class DemoCatalog:
    seed: int
    as_of: dt.date
    payer_account_id: str
    account_ids: list[str]
    regions: list[str]
    periods: list[dt.date]
    data_through: dt.datetime
    models: list[DemoModel]
    endpoints: list[DemoEndpoint]
    training_jobs: list[DemoTrainingJob]
    processing_jobs: list[DemoProcessingJob]
    transform_jobs: list[DemoTransformJob]
    notebooks: list[DemoNotebook]
    _endpoint_index: dict[str, DemoEndpoint] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_endpoint_index", {e.endpoint_name: e for e in self.endpoints})

    @property
    def history_start(self) -> dt.datetime:
        """Midnight UTC of the first billing period: the bill covers [history_start, data_through)."""
        return _day_start(self.periods[0])

    @property
    def open_period(self) -> dt.date:
        return self.periods[-1]

    def endpoint(self, endpoint_name: str) -> DemoEndpoint:
        return self._endpoint_index[endpoint_name]

    def hourly_invocations(self, endpoint_name: str, variant_name: str, hour_start: dt.datetime) -> int:
        """Invocations of one endpoint variant in the hour starting at hour_start (UTC).

        Diurnal (peak 15:00 UTC) and weekly (quieter weekends) pattern with hash noise; 0 outside
        the endpoint's lifetime; the dev endpoint sits idle outside working hours and some others.
        """
        endpoint = self._endpoint_index.get(endpoint_name)
        if endpoint is None or not endpoint.is_alive(hour_start):
            return 0
        spec = _ENDPOINT_SPECS[endpoint_name]
        share = spec["variant_share"].get(variant_name)
        if share is None:
            return 0
        epoch_hour = int(hour_start.timestamp()) // 3600
        hour_of_day = epoch_hour % 24
        weekday = (epoch_hour // 24 + 3) % 7  # 1970-01-01 was a Thursday; 0 = Monday
        noise = unit(self.seed, "inv", endpoint_name, variant_name, epoch_hour)
        if spec["idle"] and (weekday >= 5 or not 13 <= hour_of_day <= 22 or noise < 0.25):
            return 0
        diurnal = 0.6 + 0.4 * math.cos(2 * math.pi * (hour_of_day - 15) / 24)
        weekly = 0.65 if weekday >= 5 else 1.0
        return int(round(spec["rate"] * share * diurnal * weekly * (0.85 + 0.3 * noise)))

    def mean_hourly_invocations(self, endpoint_name: str, variant_name: str | None = None) -> float:
        """The long-run mean of hourly_invocations over a week's hours, of one variant or all: what
        a serverless endpoint's compute accrues at."""
        spec = _ENDPOINT_SPECS[endpoint_name]
        shares = spec["variant_share"]
        share = sum(shares.values()) if variant_name is None else shares.get(variant_name, 0.0)
        # diurnal mean 0.6, weekly mean (5 x 1.0 + 2 x 0.65) / 7, noise mean 1.0
        return spec["rate"] * share * 0.6 * (5 + 2 * 0.65) / 7

    def hourly_model_predictions(self, endpoint_name: str, model_name: str, hour_start: dt.datetime) -> int:
        """Predictions one model served on an endpoint in an hour; on the multi-model endpoint the
        per-model counts of an hour sum exactly to the endpoint's invocations in that hour."""
        endpoint = self._endpoint_index.get(endpoint_name)
        if endpoint is None:
            return 0
        total = 0
        for variant in endpoint.variants:
            if model_name not in variant.model_names:
                continue
            invocations = self.hourly_invocations(endpoint_name, variant.variant_name, hour_start)
            names = variant.model_names
            if len(names) == 1:
                total += invocations
                continue
            epoch_hour = int(hour_start.timestamp()) // 3600
            weights = [
                _MME_WEIGHTS[n] * (0.8 + 0.4 * unit(self.seed, "mme", endpoint_name, n, epoch_hour))
                for n in names
            ]
            counts = [int(invocations * w / sum(weights)) for w in weights]
            counts[0] += invocations - sum(counts)  # remainder to the first model: exact sum
            total += counts[names.index(model_name)]
        return total


# --- the fictional organisation ---------------------------------------------------------------

ECR = "763104351884.dkr.ecr.{region}.amazonaws.com"
_MODEL_SPECS = {
    # model: team, project, serving image
    "churn": ("growth", "retention", "683313688378.dkr.ecr.{region}.amazonaws.com/sagemaker-xgboost:1.7-1"),
    "fraud-detector": (
        "risk",
        "fraud",
        "683313688378.dkr.ecr.{region}.amazonaws.com/sagemaker-xgboost:1.7-1",
    ),
    "ranker": ("search", "discovery", ECR + "/pytorch-inference:2.1.0-cpu-py310"),
    "recommender": ("growth", "personalization", ECR + "/pytorch-inference:2.1.0-cpu-py310"),
    "forecast": ("risk", "planning", "522234722520.dkr.ecr.{region}.amazonaws.com/forecasting-deepar:1"),
    "embeddings": (
        "search",
        "semantic-search",
        ECR + "/huggingface-pytorch-inference:2.1.0-transformers4.37-gpu",
    ),
}
_MME_WEIGHTS = {"ranker": 0.65, "recommender": 0.35}

# endpoint -> invocations per hour at peak on a weekday, split across variants; idle = dev hours only
_ENDPOINT_SPECS: dict[str, dict] = {
    "churn-prod": {"rate": 1800, "variant_share": {"AllTraffic": 1.0}, "idle": False},
    "fraud-detector-prod": {
        "rate": 12000,
        "variant_share": {"champion": 0.9, "challenger": 0.1},
        "idle": False,
    },
    "embeddings-async": {"rate": 400, "variant_share": {"AllTraffic": 1.0}, "idle": False},
    "search-mme": {"rate": 6000, "variant_share": {"AllTraffic": 1.0}, "idle": False},
    "forecast-v1": {"rate": 250, "variant_share": {"AllTraffic": 1.0}, "idle": False},
    "forecast-dev": {"rate": 40, "variant_share": {"AllTraffic": 1.0}, "idle": True},
    "forecast-serverless": {"rate": 250, "variant_share": {"AllTraffic": 1.0}, "idle": False},
    # A shadow deployment nobody routes traffic to any more: billed every hour, never invoked.
    "churn-shadow": {"rate": 0, "variant_share": {"AllTraffic": 1.0}, "idle": False},
}

# Training per model and month: job count, instance types, counts, hours, share on managed spot,
# volume size, metric. The embeddings and ranker jobs are the expensive GPU ones.
_TRAINING_SPECS: dict[str, dict] = {
    "churn": {
        "per_month": 12,
        "types": ("ml.m5.4xlarge",),
        "counts": (1,),
        "hours": (0.5, 1.5),
        "spot": 0.0,
        "volume": 30,
        "metric": ("validation:auc", 0.82, 0.9),
    },
    "forecast": {
        "per_month": 10,
        "types": ("ml.c5.4xlarge", "ml.m5.2xlarge"),
        "counts": (1,),
        "hours": (0.3, 1.2),
        "spot": 0.3,
        "volume": 30,
        "metric": ("validation:rmse", 0.08, 0.2),
    },
    "fraud-detector": {
        "per_month": 12,
        "types": ("ml.p3.2xlarge",),
        "counts": (1, 2),
        "hours": (2.0, 6.0),
        "spot": 0.0,
        "volume": 50,
        "metric": ("validation:auc", 0.9, 0.97),
    },
    "ranker": {
        "per_month": 8,
        "types": ("ml.p3.8xlarge",),
        "counts": (1,),
        "hours": (4.0, 8.0),
        "spot": 0.5,
        "volume": 100,
        "metric": ("validation:ndcg", 0.4, 0.55),
    },
    "recommender": {
        "per_month": 8,
        "types": ("ml.g5.12xlarge",),
        "counts": (1, 2),
        "hours": (4.0, 10.0),
        "spot": 0.3,
        "volume": 100,
        "metric": ("validation:map", 0.2, 0.35),
    },
    "embeddings": {
        "per_month": 6,
        "types": ("ml.p3.8xlarge",),
        "counts": (2,),
        "hours": (8.0, 16.0),
        "spot": 0.3,
        "volume": 200,
        "metric": ("train:loss", 0.6, 1.2),
    },
}
_TRAINING_IMAGE = {
    "churn": "683313688378.dkr.ecr.{region}.amazonaws.com/sagemaker-xgboost:1.7-1",
    "fraud-detector": "683313688378.dkr.ecr.{region}.amazonaws.com/sagemaker-xgboost:1.7-1",
    "forecast": "522234722520.dkr.ecr.{region}.amazonaws.com/forecasting-deepar:1",
    "ranker": ECR + "/pytorch-training:2.1.0-gpu-py310",
    "recommender": ECR + "/pytorch-training:2.1.0-gpu-py310",
    "embeddings": ECR + "/huggingface-pytorch-training:2.1.0-transformers4.36-gpu-py310",
}


def _tags(style: str, model: str | None, team: str, project: str, environment: str) -> dict[str, str]:
    """Tags as people really apply them: mostly clean, some case variants, some untagged."""
    if style == "none":
        return {}
    if style == "clean":
        tags = {"model": model, "team": team, "project": project, "environment": environment}
    elif style == "caps":
        tags = {"Model": model, "Team": team, "project": project, "env": environment}
    elif style == "ml":
        tags = {"ml-model": model, "TEAM": team, "project": project, "environment": environment}
    else:
        raise ValueError(style)
    return {k: v for k, v in tags.items() if v is not None}


def _tag_style(seed: int, *key: object) -> str:
    u = unit(seed, "tagstyle", *key)
    return "none" if u < 0.08 else "caps" if u < 0.25 else "ml" if u < 0.33 else "clean"


def build_catalog(seed: int = 7, as_of: dt.date | None = None, months: int = 3) -> DemoCatalog:
    """The demo organisation over `months` billing periods ending with the (open) month of as_of."""
    if months < 1:
        raise ValueError("months must be at least 1")
    as_of = as_of or dt.datetime.now(UTC).date()
    open_period = as_of.replace(day=1)
    periods = [_add_months(open_period, -i) for i in range(months - 1, -1, -1)]
    start = _day_start(periods[0])
    # CUR lags about a day: the bill covers every hour before midnight of the day before as_of.
    data_through = _day_start(as_of) - DAY
    span = max(data_through - start, DAY)
    mid = start + span / 2

    def at(fraction: float) -> dt.datetime:
        """A moment `fraction` of the way through the history, on a whole minute."""
        moment = start + span * fraction
        return moment.replace(second=0, microsecond=0)

    prod, dev = PROD_ACCOUNT_ID, DEV_ACCOUNT_ID
    models = []
    for i, (name, (team, project, image)) in enumerate(_MODEL_SPECS.items()):
        region = "us-west-2" if name == "embeddings" else "us-east-1"
        models.append(
            DemoModel(
                model_name=name,
                account_id=prod,
                region=region,
                image=image.format(region=region),
                created_at=start - dt.timedelta(days=60 - i * 3, hours=i),
                is_multi_model=name in _MME_WEIGHTS,
                tags=_tags("clean", name, team, project, "prod"),
                team=team,
                project=project,
            )
        )

    def endpoint(
        name,
        account,
        region,
        created,
        variants,
        tag_style,
        model,
        team,
        project,
        env,
        deleted=None,
        is_async=False,
    ):
        return DemoEndpoint(
            endpoint_name=name,
            account_id=account,
            region=region,
            endpoint_config_name=f"{name}-config-{created:%Y%m%d}",
            created_at=created,
            deleted_at=deleted,
            variants=variants,
            tags=_tags(tag_style, model, team, project, env),
            is_async=is_async,
            model_name=model,
            team=team,
            project=project,
            environment=env,
        )

    endpoints = [
        endpoint(
            "churn-prod",
            prod,
            "us-east-1",
            start - dt.timedelta(days=45, minutes=-17),
            [DemoVariant("AllTraffic", ["churn"], "ml.c5.2xlarge", 2)],
            "clean",
            "churn",
            "growth",
            "retention",
            "prod",
        ),
        endpoint(
            "fraud-detector-prod",
            prod,
            "us-east-1",
            start - dt.timedelta(days=38, minutes=-42),
            [
                DemoVariant("champion", ["fraud-detector"], "ml.g4dn.2xlarge", 2),
                DemoVariant("challenger", ["fraud-detector"], "ml.g4dn.xlarge", 1),
            ],
            "caps",
            "fraud-detector",
            "risk",
            "fraud",
            "prod",
        ),
        endpoint(
            "embeddings-async",
            prod,
            "us-west-2",
            start - dt.timedelta(days=20, minutes=-5),
            [DemoVariant("AllTraffic", ["embeddings"], "ml.g4dn.xlarge", 3)],
            "ml",
            "embeddings",
            "search",
            "semantic-search",
            "prod",
            is_async=True,
        ),
        endpoint(
            "search-mme",
            prod,
            "us-east-1",
            start - dt.timedelta(days=30, minutes=-33),
            [DemoVariant("AllTraffic", ["ranker", "recommender"], "ml.m5.4xlarge", 3)],
            "clean",
            None,
            "search",
            "discovery",
            "prod",
        ),
        endpoint(
            "forecast-v1",
            prod,
            "us-east-1",
            start - dt.timedelta(days=90, minutes=-8),
            [DemoVariant("AllTraffic", ["forecast"], "ml.m5.large", 1)],
            "none",
            "forecast",
            "risk",
            "planning",
            "prod",
            deleted=mid.replace(minute=29, second=0, microsecond=0),
        ),
        # forecast-v1's successor: serverless, billed per second of compute, no instances to idle.
        endpoint(
            "forecast-serverless",
            prod,
            "us-east-1",
            mid.replace(minute=29, second=0, microsecond=0) - dt.timedelta(hours=2),
            [DemoVariant("AllTraffic", ["forecast"], None, 0, serverless_memory_mb=4096)],
            "clean",
            "forecast",
            "risk",
            "planning",
            "prod",
        ),
        endpoint(
            "churn-shadow",
            prod,
            "us-east-1",
            start - dt.timedelta(days=12, minutes=-51),
            [DemoVariant("AllTraffic", ["churn"], "ml.m5.large", 1)],
            "clean",
            "churn",
            "growth",
            "retention",
            "prod",
        ),
        endpoint(
            "forecast-dev",
            dev,
            "us-east-1",
            at(0.12),
            [DemoVariant("AllTraffic", ["forecast"], "ml.m5.xlarge", 1)],
            "caps",
            "forecast",
            "risk",
            "planning",
            "dev",
        ),
    ]

    training_jobs = _training_jobs(seed, periods, start, data_through)
    processing_jobs = _processing_jobs(seed, months, start, data_through)
    transform_jobs = _transform_jobs(seed, months, start, data_through)
    notebooks = [
        DemoNotebook(
            "ds-alice-gpu",
            prod,
            "us-east-1",
            "ml.g4dn.xlarge",
            50,
            start - dt.timedelta(days=25, hours=3),
            start - dt.timedelta(days=25, hours=3) + dt.timedelta(minutes=6),
            "InService",
            {"team": "search", "project": "semantic-search"},
            None,
            "search",
            "semantic-search",
            "dev",
        ),
        DemoNotebook(
            "growth-analysis",
            prod,
            "us-east-1",
            "ml.t3.medium",
            20,
            start - dt.timedelta(days=70, hours=5),
            start - dt.timedelta(days=70, hours=5) + dt.timedelta(minutes=4),
            "InService",
            _tags("caps", None, "growth", "retention", "prod"),
            None,
            "growth",
            "retention",
            "prod",
        ),
        DemoNotebook(
            "risk-sandbox",
            dev,
            "us-east-1",
            "ml.t3.medium",
            20,
            start - dt.timedelta(days=50, hours=1),
            at(0.4),
            "Stopped",
            {},
            None,
            "risk",
            "fraud",
            "dev",
        ),
    ]
    return DemoCatalog(
        seed=seed,
        as_of=as_of,
        payer_account_id=PAYER_ACCOUNT_ID,
        account_ids=[prod, dev],
        regions=list(REGIONS),
        periods=periods,
        data_through=data_through,
        models=models,
        endpoints=endpoints,
        training_jobs=training_jobs,
        processing_jobs=processing_jobs,
        transform_jobs=transform_jobs,
        notebooks=notebooks,
    )


def _training_jobs(
    seed: int, periods: list[dt.date], start: dt.datetime, data_through: dt.datetime
) -> list[DemoTrainingJob]:
    """Regular retraining per model and month, plus hyperparameter sweeps (one per month for the
    fraud detector, bigger and on larger GPUs in the open month; one for the ranker)."""
    jobs: list[DemoTrainingJob] = []
    names: set[str] = set()

    def add(model, created, hours, instance_type, count, spot, tuning=None, kind="train"):
        team, project, _ = _MODEL_SPECS[model]
        spec = _TRAINING_SPECS[model]
        region = "us-west-2" if model == "embeddings" else "us-east-1"
        key = (model, created.isoformat(), tuning)
        u_status = unit(seed, "status", *key)
        status = "Failed" if u_status < 0.05 else "Stopped" if u_status < 0.07 else "Completed"
        training_seconds = int(hours * 3600)
        if status != "Completed":
            training_seconds = int(training_seconds * (0.1 + 0.5 * unit(seed, "cut", *key)))
        training_seconds = max(training_seconds, 120)
        started = created + dt.timedelta(seconds=90 + int(240 * unit(seed, "queue", *key)))
        if spot:
            # Managed spot: billed only for the seconds the instances actually ran (30-70 %).
            billable = int(training_seconds * (0.3 + 0.4 * unit(seed, "spot", *key)))
            max_wait = int(math.ceil(training_seconds * 2 / 3600) * 3600)
        else:
            billable, max_wait = training_seconds, None
        ended = started + dt.timedelta(seconds=training_seconds + 60 + int(120 * unit(seed, "upload", *key)))
        if ended >= data_through:
            return
        metric, low, high = spec["metric"]
        metrics = (
            {} if status != "Completed" else {metric: round(low + (high - low) * unit(seed, "m", *key), 4)}
        )
        if tuning:
            name = f"{tuning}-{len([j for j in jobs if j.tuning_job_name == tuning]) + 1:03d}-{_short(seed, *key)}"
        else:
            name = f"{model}-{kind}-{created:%Y%m%d-%H%M%S}"
        if name in names:
            name = f"{name}-{_short(seed, 'dup', *key)}"
        names.add(name)
        env = "dev" if unit(seed, "env", *key) < 0.15 else "prod"
        account = DEV_ACCOUNT_ID if env == "dev" and region == "us-east-1" else PROD_ACCOUNT_ID
        tags = _tags(_tag_style(seed, "train", *key), model, team, project, env)
        jobs.append(
            DemoTrainingJob(
                training_job_name=name,
                account_id=account,
                region=region,
                created_at=created,
                started_at=started,
                ended_at=ended,
                status=status,
                instance_type=instance_type,
                instance_count=count,
                volume_size_gb=spec["volume"],
                is_managed_spot=spot,
                training_seconds=training_seconds,
                billable_seconds=billable,
                max_wait_seconds=max_wait,
                image=_TRAINING_IMAGE[model].format(region=region),
                tuning_job_name=tuning,
                final_metrics=metrics,
                tags=tags,
                model_name=model,
                team=team,
                project=project,
                environment=env,
            )
        )

    for p, period in enumerate(periods):
        window_start = max(_day_start(period), start)
        window_end = min(_day_start(_add_months(period, 1)), data_through)
        window_days = (window_end - window_start) / DAY
        if window_days <= 0.5:
            continue
        for model, spec in _TRAINING_SPECS.items():
            count = round(spec["per_month"] * min(window_days, 30) / 30)
            for i in range(count):
                key = (model, period.isoformat(), i)
                created = window_start + (window_end - window_start) * (
                    (i + unit(seed, "t", *key)) / max(count, 1)
                )
                created = created.replace(second=int(60 * unit(seed, "s", *key)), microsecond=0)
                low, high = spec["hours"]
                hours = low + (high - low) * unit(seed, "h", *key)
                instance_type = spec["types"][int(unit(seed, "it", *key) * len(spec["types"]))]
                instance_count = spec["counts"][int(unit(seed, "ic", *key) * len(spec["counts"]))]
                add(
                    model,
                    created,
                    hours,
                    instance_type,
                    instance_count,
                    unit(seed, "sp", *key) < spec["spot"],
                )
        # Hyperparameter sweeps (managed spot), one a month for the fraud detector and one for the
        # ranker. The open month overshoots the budgets on purpose: the fraud sweep runs twice as
        # many jobs on bigger GPUs without spot, and the search team starts a pretraining run.
        is_open = p == len(periods) - 1
        sweeps = [("fraud-detector", "fraud-hpo", 12, "ml.p3.2xlarge", True)]
        if is_open:
            sweeps = [("fraud-detector", "fraud-hpo", 24, "ml.p3.8xlarge", False)]
        if p == max(len(periods) - 2, 0):
            sweeps.append(("ranker", "ranker-hpo", 8, "ml.p3.2xlarge", True))
        for model, prefix, size, instance_type, spot in sweeps:
            sweep_start = window_start + min(dt.timedelta(days=4), (window_end - window_start) / 3)
            sweep_start = sweep_start.replace(hour=9, minute=12, second=0, microsecond=0)
            tuning = f"{prefix}-{sweep_start:%Y%m%d}"
            for i in range(size):
                created = sweep_start + dt.timedelta(minutes=45 * (i // 2) + i % 2)
                hours = 1.0 + 2.5 * unit(seed, "hpo", tuning, i)
                add(model, created, hours, instance_type, 1, spot, tuning=tuning)
        if is_open:
            # Early in the month so that from as_of on the 5th the whole run is on the bill.
            for i in range(4):
                created = window_start + dt.timedelta(hours=8 + 6 * i, minutes=int(50 * unit(seed, "pt", i)))
                hours = 30.0 + 10.0 * unit(seed, "pretrain", i)
                add("embeddings", created, hours, "ml.p3.16xlarge", 2, False, kind="pretrain")
    jobs.sort(key=lambda j: (j.created_at, j.training_job_name))
    return jobs


def _short(seed: int, *key: object) -> str:
    return hashlib.blake2b("|".join(map(str, (seed, *key))).encode(), digest_size=4).hexdigest()


def _spread(seed: int, kind: str, n: int, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    span = end - start
    return [
        (start + span * ((i + 0.8 * unit(seed, kind, i)) / n)).replace(second=0, microsecond=0)
        for i in range(n)
    ]


def _processing_jobs(
    seed: int, months: int, start: dt.datetime, data_through: dt.datetime
) -> list[DemoProcessingJob]:
    """Feature engineering before retraining: about seven processing jobs a month."""
    jobs = []
    models = ("churn", "fraud-detector", "forecast", "recommender")
    n = max(1, round(20 * months / 3))
    for i, created in enumerate(_spread(seed, "proc", n, start, data_through - dt.timedelta(hours=6))):
        model = models[i % len(models)]
        team, project, _ = _MODEL_SPECS[model]
        started = created + dt.timedelta(minutes=3)
        ended = started + dt.timedelta(minutes=20 + int(100 * unit(seed, "pd", i)))
        instance_type = "ml.m5.4xlarge" if model == "recommender" else "ml.m5.xlarge"
        jobs.append(
            DemoProcessingJob(
                processing_job_name=f"{model}-features-{created:%Y%m%d-%H%M}",
                account_id=PROD_ACCOUNT_ID,
                region="us-east-1",
                created_at=created,
                started_at=started,
                ended_at=ended,
                status="Failed" if i % 9 == 4 else "Completed",
                instance_type=instance_type,
                instance_count=1 + i % 2,
                volume_size_gb=30,
                tags=_tags(_tag_style(seed, "proc", i), model, team, project, "prod"),
                model_name=model,
                team=team,
                project=project,
                environment="prod",
            )
        )
    return jobs


def _transform_jobs(
    seed: int, months: int, start: dt.datetime, data_through: dt.datetime
) -> list[DemoTransformJob]:
    """Nightly-ish batch scoring: forecast moved to batch transform when its endpoint was deleted."""
    jobs = []
    n = max(1, round(10 * months / 3))
    for i, created in enumerate(_spread(seed, "tsf", n, start, data_through - dt.timedelta(hours=6))):
        model = "churn" if i % 3 == 1 else "forecast"
        team, project, _ = _MODEL_SPECS[model]
        started = created + dt.timedelta(minutes=4)
        ended = started + dt.timedelta(minutes=30 + int(90 * unit(seed, "td", i)))
        jobs.append(
            DemoTransformJob(
                transform_job_name=f"{model}-batch-{created:%Y%m%d-%H%M}",
                account_id=PROD_ACCOUNT_ID,
                region="us-east-1",
                created_at=created,
                started_at=started,
                ended_at=ended,
                status="Completed",
                instance_type="ml.m5.large" if model == "forecast" else "ml.m5.xlarge",
                instance_count=2,
                tags=_tags(_tag_style(seed, "tsf", i), model, team, project, "prod"),
                model_name=model,
                team=team,
                project=project,
                environment="prod",
            )
        )
    return jobs
