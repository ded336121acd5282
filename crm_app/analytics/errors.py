"""What an analysis raises when its data cannot support it (the caller shows why and carries on)."""


class TooLittleData(Exception):
    """The data cannot support the analysis (too few customers, months, repeat buyers or closed deals); the
    message says what is missing, in words a user can act on. Not a ValueError: a real bug raising ValueError
    must not be mistaken for an empty period."""
