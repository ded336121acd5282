"""Persistence: SQLModel tables, the database seam and the repositories holding every query."""
