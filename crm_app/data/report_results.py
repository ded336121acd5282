"""What each report builder (crm_app/data/reports.py) returns: typed dataclasses, one per report and one per kind of
row, so the /insights page and the CLI read named fields instead of string keys.

The JSON form (`as_json`: the CLI's --json, and the fit stored in model_run) has exactly these fields, under the
same names (the KPI period's `start`/`end` print as `from`/`to`); `stored_result` reads a stored fit back.
"""

from __future__ import annotations

import dataclasses
import types
from dataclasses import dataclass, field
from typing import Any, Union, get_args, get_origin, get_type_hints

from crm_app.analytics.clv import BgNbdFit, GammaGammaFit

# --- kpis ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Satisfaction:
    csat: float | None  # share of 4-5 answers
    csat_answers: int
    nps: float | None  # points, −100 to 100
    nps_answers: int


@dataclass(frozen=True)
class KpisResult:
    as_of: str
    start: str = field(metadata={"json": "from"})
    end: str = field(metadata={"json": "to"})
    kpis: dict[str, float | int | None] = field(default_factory=dict)  # analytics.kpis.SalesKpis by name
    satisfaction: Satisfaction | None = None
    figures: dict[str, float | None] = field(default_factory=dict)  # the cockpit's KPIs by key, same kernels


# --- segments -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SegmentProfile:
    segment: str
    customers: int
    share: float
    recency_days: float
    frequency: float
    monetary: float
    revenue: float


@dataclass(frozen=True)
class SilhouetteScore:
    k: int
    silhouette: float


@dataclass(frozen=True)
class ClusterProfile:
    cluster: int
    customers: int
    share: float
    recency_days: float
    frequency: float
    monetary: float


@dataclass(frozen=True)
class Clusters:
    k: int
    clustered_customers: int
    silhouette: list[SilhouetteScore]
    profile: list[ClusterProfile]


@dataclass(frozen=True)
class SegmentMapPoints:
    """The segment map (analytics.segment_map) as drawn: one entry per shown customer in each list, in customer id
    order; x and y on the first two principal components, whose shares of the variance are explained_variance."""

    explained_variance: list[float]
    mapped_customers: int
    customer_id: list[int]
    x: list[float]
    y: list[float]
    cluster: list[int]


@dataclass(frozen=True)
class SegmentsResult:
    as_of: str
    customers: int
    segments: list[SegmentProfile]
    clusters: Clusters
    map: SegmentMapPoints | None = None  # absent from fits stored before the map existed


# --- clv ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerValue:
    customer_id: int
    name: str
    expected_purchases: float
    p_alive: float
    expected_average_value: float
    clv: float


@dataclass(frozen=True)
class ClvResult:
    as_of: str
    time_unit: str
    months: int
    monthly_discount_rate: float
    customers: int
    total_clv: float
    bgnbd: BgNbdFit
    gamma_gamma: GammaGammaFit
    top: list[CustomerValue]


# --- churn --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChurnModelScore:
    model: str  # logistic | gradient_boosting | recency_rule
    auc: float | None
    precision_at_k: float | None


@dataclass(frozen=True)
class ChurnBacktest:
    k: int
    train_customers: int
    test_customers: int
    test_churn_rate: float | None
    models: list[ChurnModelScore]


@dataclass(frozen=True)
class CustomerAtRisk:
    customer_id: int
    name: str
    owner_id: float | None
    probability: float
    gradient_boosting: float
    recency_days: float
    drivers: str


@dataclass(frozen=True)
class ChurnResult:
    as_of: str
    horizon_days: int
    customers: int
    on_watch: int
    backtest: ChurnBacktest
    at_risk: list[CustomerAtRisk]


# --- forecast -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ForecastModelScore:
    model: str
    mape: float | None
    smape: float | None


@dataclass(frozen=True)
class MonthRevenue:
    period: str
    revenue: float


@dataclass(frozen=True)
class MonthForecast:
    period: str
    forecast: float
    lower_80: float
    upper_80: float
    lower_95: float
    upper_95: float


@dataclass(frozen=True)
class ForecastResult:
    as_of: str
    period: str
    model: str
    folds: int
    backtest: list[ForecastModelScore]
    history: list[MonthRevenue]
    forecast: list[MonthForecast]


# --- quality ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldQuality:
    field: str
    completeness: float | None
    validity: float | None
    score: float | None
    weight: float


@dataclass(frozen=True)
class RecordToFix:
    customer_id: int
    name: str
    problems: str
    # The customer this one may duplicate (the lower id of the pair), when it may.
    duplicate_of: int | None = None


@dataclass(frozen=True)
class QualityResult:
    as_of: str
    customers: int
    scored_customers: int
    overall: float | None
    field_score: float | None
    uniqueness: float | None
    freshness: float | None
    fields: list[FieldQuality]
    exact_duplicate_pairs: int
    fuzzy_duplicate_pairs: int
    records_to_fix: int
    queue: list[RecordToFix]


# --- win probability ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MethodScore:
    method: str  # model | stage_probability
    brier: float
    log_loss: float


@dataclass(frozen=True)
class StagePipeline:
    stage: str
    deals: int
    amount: float
    by_stage_probability: float
    by_model: float


@dataclass(frozen=True)
class WinprobResult:
    as_of: str
    closed_deals: int
    closed_without_stage_history: int
    train_deals: int
    test_deals: int
    comparison: list[MethodScore]
    weighted_pipeline: list[StagePipeline]
    # {stage scored in: {deal id: P(won)}}; the ids are text in JSON.
    open_deal_probabilities: dict[str, dict[str, float]]


# --- campaigns ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignResult:
    campaign_id: int
    name: str
    channel: str
    start_date: str
    cost: float
    targets: int
    responders: int
    attributed_revenue: float
    response_rate: float | None
    response_rate_lower: float | None
    response_rate_upper: float | None
    cost_per_target: float | None
    cost_per_response: float | None
    attributed_margin: float | None
    roi: float | None
    # Against the holdout (analytics.uplift): None without one.
    holdout_targets: int = 0
    holdout_responders: int = 0
    uplift: float | None = None
    uplift_low: float | None = None
    uplift_high: float | None = None
    incremental_revenue: float | None = None
    incremental_roi: float | None = None


@dataclass(frozen=True)
class CampaignsResult:
    as_of: str
    campaigns: list[CampaignResult]


ReportResult = Union[KpisResult, SegmentsResult, ClvResult, ChurnResult, ForecastResult, QualityResult,
                     WinprobResult, CampaignsResult]
RESULT_TYPES: dict[str, type] = {
    "kpis": KpisResult, "segments": SegmentsResult, "clv": ClvResult, "churn": ChurnResult,
    "forecast": ForecastResult, "quality": QualityResult, "winprob": WinprobResult, "campaigns": CampaignsResult,
}


@dataclass(frozen=True)
class Report:
    """A built report: its name, the filters it was built for (as shown), and its typed result."""

    name: str
    filters: dict[str, str]
    result: ReportResult

    def as_json(self) -> dict[str, Any]:
        return {"report": self.name, "filters": self.filters, **as_plain(self.result)}


# --- to and from JSON ---------------------------------------------------------------------------------


def _key(spec: dataclasses.Field) -> str:
    return spec.metadata.get("json", spec.name)


def as_plain(value: Any) -> Any:
    """A result as JSON-ready dicts and lists, under each field's JSON name."""
    if dataclasses.is_dataclass(value):
        return {_key(spec): as_plain(getattr(value, spec.name)) for spec in dataclasses.fields(value)}
    if isinstance(value, list):
        return [as_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: as_plain(item) for key, item in value.items()}
    return value


def _typed(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    if dataclasses.is_dataclass(hint):
        return from_plain(hint, value)
    origin = get_origin(hint)
    if origin is list:
        (item,) = get_args(hint)
        return [_typed(item, element) for element in value]
    if origin is Union or origin is types.UnionType:
        kinds = [kind for kind in get_args(hint) if kind is not type(None)]
        return _typed(kinds[0], value) if len(kinds) == 1 else value
    return value


def from_plain(kind: type, data: dict[str, Any]) -> Any:
    """The dataclass `kind` from its JSON form (unknown keys are ignored, missing ones are None)."""
    hints = get_type_hints(kind)
    return kind(**{spec.name: _typed(hints[spec.name], data.get(_key(spec)))
                   for spec in dataclasses.fields(kind)})


def stored_result(name: str, stored: dict[str, Any] | None) -> ReportResult | None:
    """The typed result of a fit stored as JSON; None when there is none or the fit had too little data."""
    if not stored or "error" in stored:
        return None
    return from_plain(RESULT_TYPES[name], stored)
