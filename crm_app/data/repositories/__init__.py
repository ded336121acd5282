"""Every query of the app, as keyword-only functions taking the session and the acting user."""
