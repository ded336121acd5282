"""The versioned REST API, /api/v1: the CRM's records for scripts and other systems, through the same repositories,
validation and ownership rules as the pages, as the user of a personal access token (see README "API")."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.openapi.utils import get_openapi

from crm_app.api_v1 import activities, campaigns, customers, deals, feedback, orders, problems, products, tasks

router = APIRouter(prefix=problems.PREFIX)
for resource in (customers, orders, deals, tasks, activities, feedback, products, campaigns):
    router.include_router(resource.router)


def install(api: FastAPI) -> None:
    """Add /api/v1 to the app's FastAPI: its routes, its problem answers and their place in the OpenAPI document."""
    api.include_router(router)
    problems.install(api)

    def openapi() -> dict:
        if api.openapi_schema is None:
            api.openapi_schema = problems.openapi_with_problems(get_openapi(
                title=api.title, version=api.version, openapi_version=api.openapi_version,
                description=api.description, routes=api.routes))
        return api.openapi_schema

    api.openapi = openapi
