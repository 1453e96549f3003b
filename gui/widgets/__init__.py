"""Widgets of the studio window, each in its own file."""
