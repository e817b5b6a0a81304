"""Whole pages from a results document: the Markdown report, the static HTML page, and
the changes between two documents. Pure functions of saved documents; the `bench`,
`report` and `compare` commands print or write them.

Assembles the render building blocks with each scenario's own tables and charts
(`lab.scenarios`); never imports the run, the host or the contenders.
"""
