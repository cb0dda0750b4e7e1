"""The event catalogue: carerecord's public contract.

Every conversation, decision, review and revocation is one of these past-tense facts. Each has a stable type
name and a schema version (never a Python import path on the wire), a plain-English label and an easy-read
sentence. This package imports nothing from the rest of carerecord, nor any storage or transport library.
"""
