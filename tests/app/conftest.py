"""pytest-qt runs the real widgets offscreen: no screen is needed (and without this it aborts)."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
