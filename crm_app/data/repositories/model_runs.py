"""The record of each analytics model fit, shown next to the model's results."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from crm_app.data.models import ModelRun


def record_model_run(*, session: Session, model: str, rows: int, seconds: float, summary: dict[str, Any]) -> ModelRun:
    run = ModelRun(model=model, rows=rows, seconds=round(seconds, 3), summary=summary)
    session.add(run)
    return run


def latest_model_run(*, session: Session, model: str) -> ModelRun | None:
    return session.exec(
        select(ModelRun).where(ModelRun.model == model).order_by(ModelRun.fitted_at.desc(), ModelRun.id.desc())
    ).first()
