"""Kills, parallel runs, the single-writer lock and the files a run writes."""
