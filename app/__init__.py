"""Polarity Studio GUI (PySide6). Imports core; core never imports app."""
