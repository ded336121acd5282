"""A box that tells its page when it comes near the viewport and when it goes away: the server then builds and
sends what is inside it only while the reader can see it (the cockpit's charts and system panels)."""

from __future__ import annotations

import reflex as rx
from reflex_base.components.component import field
from reflex_base.event import EventHandler, LiteralEventChainVar, passthrough_event_spec
from reflex_base.utils.imports import ImportVar
from reflex_base.vars.base import Var, VarData

# Near once within 100 px of the viewport (ready as it scrolls in); away only once a whole viewport's height
# beyond it, so a callout appearing above (a layout shift of a few hundred pixels) does not send a chart in view
# away and back, leaving it to be built after the change instead of with it.
NEAR_MARGIN = "100px 0px"
AWAY_MARGIN = "100% 0px"


class NearView(rx.el.Div):
    """A div whose `on_near(near)` fires once it is first laid out (near or not), then `true` when it comes near
    the viewport and `false` when it goes far from it (IntersectionObservers: no work while the page scrolls)."""

    on_near: EventHandler[passthrough_event_spec(bool)] = field(is_javascript_property=False)

    def add_hooks(self) -> list:
        ref = self.get_ref()
        trigger = self.event_triggers["on_near"]
        # Compiled, the page memoizes the trigger into a callback declared beside this hook (a Var by then).
        chain = trigger if isinstance(trigger, Var) else LiteralEventChainVar.create(trigger)
        code = f"""const {ref}_told = useRef(null);
const {ref}_on_near = useRef(null);
useEffect(() => {{ {ref}_on_near.current = {chain}; }});
useEffect(() => {{
  const box = {ref}.current;
  if (!box || typeof IntersectionObserver !== "function") return;
  const tell = (near) => {{
    if ({ref}_told.current !== near) {{ {ref}_told.current = near; {ref}_on_near.current(near); }}
  }};
  const last = (entries) => entries[entries.length - 1].isIntersecting;
  const near = new IntersectionObserver((entries) => {{
    if (last(entries) || {ref}_told.current === null) tell(last(entries));
  }}, {{rootMargin: "{NEAR_MARGIN}"}});
  const away = new IntersectionObserver((entries) => {{
    if (!last(entries) && {ref}_told.current !== null) tell(false);
  }}, {{rootMargin: "{AWAY_MARGIN}"}});
  near.observe(box);
  away.observe(box);
  return () => {{ near.disconnect(); away.disconnect(); }};
}}, []);"""
        return [Var(_js_expr=code, _var_data=VarData.merge(chain._get_all_var_data(), VarData(
            imports={"react": [ImportVar(tag=tag) for tag in ("useRef", "useEffect")]})))]

    def _exclude_props(self) -> list[str]:
        return [*super()._exclude_props(), "on_near"]  # called from the hook, not an attribute of the div


def near_view(*children: rx.Component, section: str, on_near, **props) -> rx.Component:
    """`children` in a box whose `on_near(near)` says whether it is near the viewport; `section` names the box (its
    id, unique on the page)."""
    return NearView.create(*children, id=f"near-{section}", on_near=on_near, **props)
