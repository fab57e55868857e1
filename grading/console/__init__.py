"""The trainer console's grading half: review queue, final grades, progress, quality."""
