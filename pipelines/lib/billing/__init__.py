"""Billing export ingestion: finding deliveries (store, discovery) and loading them (normalize, load)."""

from __future__ import annotations


class BillingInputError(Exception):
    """Bad billing input: the message names the file (and row or field) and what is wrong."""
