"""The evaluation cockpit: every KPI card and chart of /cockpit for one set of filters, fast at a million orders.

`prepare_cockpit` (columns) turns the fact frames into `CockpitFacts` once per data version: revenue orders
sorted by time (so a date range is a binary search, not a scan), per-order flags that make monthly
distinct-customer counts a weighted `bincount`, each order's net amount per product category, and per-customer
data-quality flags. `evaluate` (view) then filters by `CockpitFilters` (filters) and computes each card
(kpis), target (targets), chart (series), drill-down (drill) and suggestion (suggestions). Pure: pandas and
numpy only, no clock, no database.

    periods      preset ranges, comparison periods, month numbering
    columns      the columnar fact store (CockpitFacts, prepare_cockpit, append_orders)
    cube         the order cube: per month or day and customer group, the sums the charts and cards read
    filters      CockpitFilters and the rows each view keeps
    kpis         the KPI catalogue: definitions, period values, cards, formatting
    targets      target scopes (company, region, segment, rep) and the target a view compares with
    series       the chart series
    drill        the records behind each chart
    view         the whole page for one view (evaluate)
    suggestions  written suggestions for the gaps to target
"""

from crm_app.analytics.cockpit.columns import (DIMENSIONS, STAGES, CockpitFacts, append_orders,
                                               customer_quality_flags, prepare_cockpit)
from crm_app.analytics.cockpit.cube import OrderCube, carry_cube, order_cube
from crm_app.analytics.cockpit.drill import DRILLS, drill_down
from crm_app.analytics.cockpit.filters import CockpitFilters, filtered_feedback, filtered_orders
from crm_app.analytics.cockpit.kpis import (KPI_BY_KEY, KPIS, KpiCard, KpiDefinition, KpiValue, format_value,
                                            module_completeness, period_kpis, quality_score)
from crm_app.analytics.cockpit.periods import COMPARISONS, PRESETS, comparison_period, period_for
from crm_app.analytics.cockpit.series import (cohort_matrix, monthly_orders, monthly_revenue, pipeline_by_stage,
                                              revenue_by, satisfaction_monthly, win_rate_by_owner)
from crm_app.analytics.cockpit.suggestions import gap_suggestions
from crm_app.analytics.cockpit.targets import (NO_TARGET, SCOPES, TargetScope, ViewTarget, target_for_period,
                                               view_scope, view_target)
from crm_app.analytics.cockpit.view import CockpitView, evaluate, kpi_card
from crm_app.domain import OPEN_STAGES

__all__ = [
    "COMPARISONS", "DIMENSIONS", "DRILLS", "KPIS", "KPI_BY_KEY", "OPEN_STAGES", "PRESETS", "STAGES",
    "CockpitFacts", "CockpitFilters", "CockpitView", "KpiCard", "KpiDefinition", "KpiValue", "append_orders",
    "carry_cube",
    "OrderCube", "cohort_matrix", "comparison_period", "customer_quality_flags", "drill_down", "evaluate", "kpi_card", "filtered_feedback",
    "filtered_orders", "format_value", "gap_suggestions", "module_completeness", "order_cube", "monthly_orders",
    "monthly_revenue", "period_for", "period_kpis", "pipeline_by_stage", "prepare_cockpit", "quality_score",
    "revenue_by", "satisfaction_monthly", "target_for_period", "win_rate_by_owner",
    "NO_TARGET", "SCOPES", "TargetScope", "ViewTarget", "view_scope", "view_target",
]
