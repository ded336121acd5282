"""What a new password must be: long enough and not easy to guess (zxcvbn, with its common-password lists)."""

from __future__ import annotations

from collections.abc import Iterable

from zxcvbn import zxcvbn

from crm_app.i18n import gettext, say

MIN_LENGTH = 10
MAX_LENGTH = 128
# zxcvbn's scores run 0-4; 2 is "somewhat guessable": safe from throttled online guessing.
MIN_SCORE = 2
# zxcvbn's matching grows faster than linearly with length; it judges the first 72 characters (its own cap).
_JUDGED_LENGTH = 72


class WeakPassword(ValueError):
    """The new password is refused; the message says why in words the user can act on."""


def check_new_password(password: str, *, user_inputs: Iterable[str] = ()) -> str:
    """Return `password` when it may be used; raise WeakPassword otherwise.

    `user_inputs` are words about the user (email, name) that make a password easy to guess for them.
    """
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        raise WeakPassword(gettext("Use at least {min_length} characters.", min_length=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        raise WeakPassword(gettext("Use at most {max_length} characters.", max_length=MAX_LENGTH))
    words = [word for value in user_inputs for word in _words(value)]
    verdict = zxcvbn(password[:_JUDGED_LENGTH], user_inputs=words)
    if verdict["score"] >= MIN_SCORE:
        return password
    feedback = verdict["feedback"]
    # zxcvbn's own sentences are English: said in the reader's language when the catalogue has them.
    reason = say(feedback["warning"]) if feedback["warning"] else gettext("This password is easy to guess.")
    advice = (" ".join(map(say, feedback["suggestions"])) if feedback["suggestions"]
              else gettext("Add another word or two. Uncommon words are better."))
    raise WeakPassword(f"{reason} {advice}")


def _words(value: str) -> list[str]:
    """An email or name split into the words someone guessing would try."""
    text = value.lower().replace("@", " ").replace(".", " ").replace("-", " ").replace("_", " ")
    return [value.lower(), *text.split()]
