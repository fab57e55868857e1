"""The trainers' side of the prompt-template library (models and writes are exercises'):
authoring with the motivating calibration session, approving proposals, and how each
version did (uses and the released final grades of the replies that used it)."""
