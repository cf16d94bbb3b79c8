"""Hostile input (issue 22): the longest event-loop stall plugin code causes across the hostile tier."""
