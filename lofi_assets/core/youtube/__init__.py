"""YouTube: the Data API and Analytics API clients (discovery document, OAuth, errors,
retries), the idempotent resumable upload with its ledger, and the daily figures.

Hands on: an upload ledger per track and a stats store per channel.
"""
