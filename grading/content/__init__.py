"""Authored content: read the files under fixtures/, validate them, load them."""
