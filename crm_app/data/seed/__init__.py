"""The demo company: three years of a fictional IT-supplies business, generated deterministically and bulk-loaded.

    market     the market's parameters: sign-ins, regions, segments, products, seasons, prices, wording, campaigns
    generator  generate_demo_company: pure, seed and as_of in, one DataFrame per table out
    company    DemoCompany (those frames), SeedSummary, frame cells as driver-ready Python values
    loader     seed_demo_company: generate and load in one transaction (SQLAlchemy Core executemany)
    sqlite_ingest  on SQLite, the load through Arrow's ADBC driver, indexes and triggers made again after it
"""

from crm_app.data.seed.company import DemoCompany, SeedSummary
from crm_app.data.seed.generator import generate_demo_company
from crm_app.data.seed.loader import seed_demo_company
from crm_app.data.seed.market import (DATA_QUALITY_DEFECT_RATE, DEFAULT_AS_OF, DEMO_LOGINS, HISTORY_YEARS, DemoLogin,
                                     demo_logins_text)

__all__ = ["DATA_QUALITY_DEFECT_RATE", "DEFAULT_AS_OF", "DEMO_LOGINS", "HISTORY_YEARS", "DemoCompany", "DemoLogin",
           "SeedSummary", "demo_logins_text", "generate_demo_company", "seed_demo_company"]
