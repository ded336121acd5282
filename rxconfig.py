"""Reflex configuration, driven by crm_app.settings (CRM_* environment variables)."""

import reflex as rx

from crm_app.log_redaction import redact_logged_events
from crm_app.serving import respawn_failed_workers
from crm_app.settings import get_settings

settings = get_settings()
# Every process that reads this config (the server and its workers) logs failed events without what users typed.
redact_logged_events()
# A backend worker that dies is started again instead of stopping the server (crm_app/serving.py).
respawn_failed_workers()

config = rx.Config(
    app_name="crm_app",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    # Redis as the state manager lets several backend workers share sessions; without it one worker keeps state on disk.
    state_manager_mode="redis" if settings.redis_url else "disk",
    redis_url=settings.redis_url,
    trusted_proxy_hops=settings.trusted_proxy_hops,
    # Only the app's own pages may open its websocket: a foreign site cannot drive a signed-in visitor's session.
    cors_allowed_origins=settings.origins,
    plugins=[
        rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="indigo", gray_color="slate", radius="medium")),
    ],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
