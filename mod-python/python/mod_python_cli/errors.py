"""The one kind of failure the command reports."""


class CliError(Exception):
    """A failure the user can act on: printed as its message alone, never with a traceback.

    The message says what went wrong and, where there is one, what to do about it.
    """
