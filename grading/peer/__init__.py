"""Peer review: queue, reviews, calibration, combining (models live in grading migrations)."""
