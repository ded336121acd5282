"""Reflex configuration, driven by crm_app.settings (CRM_* environment variables)."""

import reflex as rx

from crm_app.settings import get_settings

settings = get_settings()

config = rx.Config(
    app_name="crm_app",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    # Redis as the state manager lets several backend workers share sessions; without it one worker keeps state on disk.
    state_manager_mode="redis" if settings.redis_url else "disk",
    redis_url=settings.redis_url,
    trusted_proxy_hops=settings.trusted_proxy_hops,
    plugins=[
        rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="indigo", gray_color="slate", radius="medium")),
    ],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
