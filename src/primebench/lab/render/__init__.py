"""Rendering: tables, charts, Markdown and HTML, the changes between two documents, and
target checks. Each is a pure function of a results document (asv style); the `report`,
`compare` and `bench` commands call them.

Imports only the model: a report is drawn from a saved document, never from live state,
so nothing here imports the run, the host or the contenders.
"""
