"""The header's search box: Ctrl/Cmd-K focuses it; the results are links grouped by kind, walked with the arrow
keys, opened with Enter, closed with Escape. The keys are handled in the browser (no event per key press); the
results show while the box or one of them has focus."""

from __future__ import annotations

import reflex as rx

from crm_app.components.translated import t
from crm_app.states.global_search import GlobalSearchState

BOX_ID = "global-search"
AREA_ID = "global-search-area"
DEBOUNCE_MS = 250

# Ctrl/Cmd-K anywhere focuses the box; within the search area the arrows move between the box and the result
# links, Enter in the box opens the first result (on a link the browser opens it), Escape leaves the search.
_KEYBOARD = f"""
useEffect(() => {{
  const onKey = (event) => {{
    const box = document.getElementById('{BOX_ID}');
    const area = document.getElementById('{AREA_ID}');
    if (!box || !area) return;
    if ((event.ctrlKey || event.metaKey) && !event.altKey && (event.key || '').toLowerCase() === 'k') {{
      event.preventDefault();
      box.focus();
      box.select();
      return;
    }}
    if (!area.contains(document.activeElement)) return;
    const links = Array.from(area.querySelectorAll('[data-search-result]'));
    const at = links.indexOf(document.activeElement);
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {{
      event.preventDefault();
      const next = at + (event.key === 'ArrowDown' ? 1 : -1);
      if (next < 0) box.focus();
      else if (next < links.length) links[next].focus();
    }} else if (event.key === 'Escape') {{
      document.activeElement.blur();
    }} else if (event.key === 'Enter' && document.activeElement === box && links.length) {{
      event.preventDefault();
      links[0].click();
    }}
  }};
  window.addEventListener('keydown', onKey);
  return () => window.removeEventListener('keydown', onKey);
}}, []);
"""


def _result(row: rx.Var) -> rx.Component:
    return rx.fragment(
        rx.cond(row["heading"] != "", rx.text(row["heading"], size="1", weight="bold", color=rx.color("gray", 11),
                                              padding="0.5em 0.75em 0.25em", text_transform="uppercase")),
        rx.link(
            rx.vstack(rx.text(row["label"], weight="medium", size="2"),
                      rx.text(row["detail"], size="1", color=rx.color("gray", 11)),
                      spacing="0"),
            href=row["href"],
            underline="none",
            display="block",
            padding="0.35em 0.75em",
            color=rx.color("gray", 12),
            _hover={"background": rx.color("gray", 3)},
            _focus={"background": rx.color("accent", 4), "outline": "none"},
            data_search_result=row["kind"],
            data_testid="search-result",
        ),
    )


def global_search() -> rx.Component:
    return rx.box(
        rx.window_event_listener(hooks=[_KEYBOARD]),
        rx.input(
            rx.input.slot(rx.icon("search", size=16)),
            id=BOX_ID,
            type="search",
            placeholder=t("Search customers, deals, orders, people (Ctrl K)"),
            default_value=GlobalSearchState.query,
            on_change=GlobalSearchState.search.debounce(DEBOUNCE_MS),
            aria_label=t("Search everything"),
            auto_complete="off",
            max_length=100,
            width="100%",
        ),
        rx.box(
            rx.foreach(GlobalSearchState.results, _result),
            rx.cond(GlobalSearchState.nothing_found,
                    rx.text(t("Nothing found."), size="2", color=rx.color("gray", 11), padding="0.5em 0.75em")),
            class_name="global-search-results",
            role="region",
            aria_label=t("Search results"),
            position="absolute",
            top="100%",
            left="0",
            right="0",
            z_index="20",
            max_height="70vh",
            overflow_y="auto",
            background=rx.color("gray", 1),
            border=f"1px solid {rx.color('gray', 5)}",
            border_radius="var(--radius-3)",
            box_shadow="var(--shadow-4)",
            margin_top="0.25em",
            data_testid="search-results",
        ),
        id=AREA_ID,
        position="relative",
        width="100%",
        max_width="32em",
        # The results show while the search has focus and there is something to show.
        style={"& .global-search-results": {"display": "none"},
               "&:focus-within .global-search-results:not(:empty)": {"display": "block"}},
    )
