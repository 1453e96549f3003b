"""The studio's Qt front end: PySide6 window, widgets, workers (core/ holds no Qt)."""
