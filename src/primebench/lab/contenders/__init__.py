"""The contenders: manifests, the registry that finds them, their builds and artifacts, the
oracle of correct answers, and conformance (starting a server and checking its answers
and its bad-input behaviour).

Builds on the model and the host; knows nothing of how load is applied or reported.
"""
