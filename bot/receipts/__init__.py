"""Expense receipts: the reader (image -> fields), the ledger per thread, corrections, summaries."""
