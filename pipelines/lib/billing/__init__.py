"""Billing export ingestion: finding deliveries (store, discovery) and loading them (normalize, load)."""

from __future__ import annotations


class BillingInputError(Exception):
    """Bad billing input: the message names the file (and row or field) and what is wrong."""


class ExportLocationError(BillingInputError):
    """CUR_EXPORT_URI cannot be read at all (no such folder, a file, S3 unreachable or refusing): the
    message is one line naming the setting and what to do. Commands print it without a traceback."""
