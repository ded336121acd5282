"""Checks of a page's layout a test can make at any width: no sideways scroll, tap targets of 44 x 44 px."""

from __future__ import annotations

from playwright.sync_api import Page

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1440, "height": 900}

# Every control a finger or a pointer aims at; what is aria-hidden (Radix's native twins of its selects and
# radios, the survey's honeypot) is no target.
_SMALL_TARGETS = """() => [...document.querySelectorAll(
    'button, select, input, textarea, [role=radio], [role=checkbox], [role=combobox], [role=switch], [role=tab]')]
  .filter(el => el.type !== 'hidden' && !el.closest('[aria-hidden=true]') && el.checkVisibility())
  .map(el => [el, el.getBoundingClientRect()])
  .filter(([el, box]) => box.width > 1 && box.height > 1 && (box.width < 44 || box.height < 44))
  .map(([el, box]) => `${el.tagName.toLowerCase()} "${(el.getAttribute('aria-label') || el.textContent || el.name || '')
    .trim().slice(0, 40)}" ${Math.round(box.width)} x ${Math.round(box.height)}`)"""


def sideways_overflow(page: Page) -> tuple[str, int, int]:
    """(path, the document's scroll width, the window's width): a page fits when the first is not wider."""
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    return page.url, width, inner


def assert_fits_the_width(page: Page) -> None:
    url, width, inner = sideways_overflow(page)
    assert width <= inner, f"{url} scrolls sideways: {width} px wide in a {inner} px window"


# Finite animations still playing (a dialog scales in from 97 %): sizes are measured once they end.
_ANIMATING = """() => document.getAnimations().some(animation => animation.playState === 'running'
    && animation.effect && animation.effect.getComputedTiming().iterations !== Infinity)"""


def small_tap_targets(page: Page) -> list[str]:
    """The visible controls smaller than 44 x 44 px (WCAG 2.5.5), as 'tag "label" width x height', measured once
    the page's animations have ended."""
    page.wait_for_function(f"() => !({_ANIMATING})()")
    return page.evaluate(_SMALL_TARGETS)
