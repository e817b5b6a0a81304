"""The shared model: a results document, what a load generator reported, the statistics
and verdicts computed from them, and the targets they are judged against.

Pure data and arithmetic, no I/O beyond loading and saving a document: every other part of
the lab (host, contenders, run, report) may import it, and it imports none of them.
"""
