"""Polarity Studio core: domain, formats, storage, ML engines and the CLI.

This package never imports Qt or ``app`` (a test enforces it), so every part of it
runs headless: from the CLI, from tests, or from a worker thread of the app.
"""

__version__ = "0.1.0"
