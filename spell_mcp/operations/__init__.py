"""The platform's scheduled duties, run by every server process and done by one: verifying the
ledger's chain (and raising an incident when it breaks), and retention."""
