"""Placement of stored requests against the approved use cases (`place.py`): reads unlabeled events,
places them with `scopetext` and writes `inferred_*` back. The text analysis itself lives in `scopetext`.
"""
