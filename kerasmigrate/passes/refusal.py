"""The exception a pass raises when a layer cannot be converted faithfully."""


class Refusal(Exception):
    """Raised by a pass; the converter reports it with the file name."""
