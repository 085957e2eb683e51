"""Content governance for Crossroads: proposals, transparency checks, quorum review and an
RFC 6962 tamper-evident log with signed checkpoints. Sans-IO: time and storage come from outside.
"""
