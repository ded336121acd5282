"""Reusable UI pieces: the page shell, KPI cards, form fields."""
