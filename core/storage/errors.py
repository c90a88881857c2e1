"""Errors of the project store that are the user's to fix (the CLI prints them and exits 2).

File problems (a malformed import, a bad dev file) are ``core.formats.FormatError`` instead,
which names the file, the line and the reason.
"""

from __future__ import annotations


class StoreError(Exception):
    """A project cannot be opened or an operation on it is not allowed; the message says why."""


class NotAProjectError(StoreError):
    """The file is missing, is not SQLite, or is not a Polarity Studio project."""


class SchemaTooNewError(StoreError):
    """The project was written by a newer version of the program."""
