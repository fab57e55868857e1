"""Peer review: queue, reviews, reviewer calibration, combining (models: grading migrations)."""
