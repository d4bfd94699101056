"""Lessons: configurations that each make one point, with what to watch for."""
