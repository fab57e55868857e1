"""The monthly calibration loop: flags, discussion, agreed scores, escalation, examples."""
