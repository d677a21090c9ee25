"""Errors a user sees. Each says what went wrong and, where it helps, what to do."""


class TrackerError(Exception):
    """An error the CLI reports as one clear line, without a traceback."""

    exit_code = 1


class InputError(TrackerError):
    """A file or response that is not what it claims to be (empty, truncated, HTML, not PubMed)."""


class PubMedError(TrackerError):
    """E-utilities failed after every retry, or answered with an error that retrying cannot fix."""


class PubMedUnreachable(PubMedError):
    """PubMed could not be reached at all (no network, DNS failure, connection refused)."""

    exit_code = 3
