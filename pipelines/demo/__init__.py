"""Deterministic demo data: a fictional ML organisation (catalog) and the AWS billing exports it produces."""
