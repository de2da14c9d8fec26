"""Instructor-side grading layer: release, autograde, feedback and course runs on top of nbgrader."""
