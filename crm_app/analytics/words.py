"""English sentences that can be said again in the reader's language: a `Words` is the English text (a str, so it
is compared, joined and written as today) that also keeps the message template it was filled from and its values.
The analytics layer writes English and stays pure; the page says it in the reader's language with
crm_app/i18n.py `say`, which translates the template and each value that is words itself."""

from __future__ import annotations

from typing import Any


class Words(str):
    """`template` (a catalogue message id with `{placeholders}`) filled with `values`; equal to the English text."""

    template: str
    values: dict[str, Any]

    def __new__(cls, template: str, **values: Any) -> Words:
        text = super().__new__(cls, template.format(**values) if values else template)
        text.template, text.values = template, values
        return text

    def __reduce__(self):  # pickled with its template (state managers pickle what handlers keep)
        return _words, (self.template, self.values)


def _words(template: str, values: dict[str, Any]) -> Words:
    return Words(template, **values)
