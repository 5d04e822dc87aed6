"""Renderers: Finding -> text. Only terminal.py imports rich."""
