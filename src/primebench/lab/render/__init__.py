"""Rendering's building blocks: tables, charts, SVG, units, claims, comparisons, and
target checks. Each is a pure function of a results document (asv style); the scenarios
pick their tables and charts from them, and the pages (`lab.pages`) assemble them.

Imports only the model: a report is drawn from a saved document, never from live state,
so nothing here imports the run, the host or the contenders.
"""
