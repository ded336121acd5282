"""The app object. Pages register themselves when their modules are imported."""

import reflex as rx

from crm_app.api import api
from crm_app.pages import admin_users, customer, customers, feedback, home, inbox, login  # noqa: F401  (registers the routes)

app = rx.App(api_transformer=api)
