"""`crm-app report` without --json: a report's fields as readable text."""

from __future__ import annotations

from typing import Any

from crm_app.counts import count_of

# {group: {deal id: value}} kept for the app and --json; the text only says how many deals they cover.
PER_DEAL_KEYS = ("open_deal_probabilities",)


def _cell(value: Any, key: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) >= 100 else f"{value:.4g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value) if key.endswith("id") else f"{value:,}"
    return str(value)


def _table(rows: list[dict[str, Any]], indent: str) -> list[str]:
    columns = list(dict.fromkeys(key for row in rows for key in row))
    cells = [[_cell(row.get(c), c) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths))]
    lines += ["  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.rjust(w) if v[:1].isdigit() or v[:1] in "-–" else v.ljust(w) for v, w in zip(r, widths))
              for r in cells]
    return [indent + line.rstrip() for line in lines]


def report_as_text(report: dict[str, Any], indent: str = "") -> str:
    """A readable rendering: `key: value` lines, nested sections indented, lists of rows as aligned tables."""
    lines: list[str] = []
    for key, value in report.items():
        label = key.replace("_", " ")
        if key in PER_DEAL_KEYS:
            lines.append(f"{indent}{label}: {count_of(sum(map(len, value.values())), 'deal')} (listed with --json)")
        elif isinstance(value, dict):
            lines += [f"{indent}{label}:", report_as_text(value, indent + "  ")] if value else []
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            lines += [f"{indent}{label}:", *_table(value, indent + "  ")]
        elif isinstance(value, list):
            lines.append(f"{indent}{label}: {', '.join(_cell(v) for v in value) or '–'}")
        else:
            lines.append(f"{indent}{label}: {_cell(value, key)}")
    return "\n".join(lines)
