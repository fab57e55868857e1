"""Reporting, the top layer: home pages, the navigation and the support-floor impact view.

Imported by nothing; it reads the apps below (grading, exercises, curriculum) directly."""
