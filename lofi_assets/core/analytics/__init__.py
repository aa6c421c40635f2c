"""Analytics: the channel's daily report (tables, charts, one HTML page) computed from
the stats store, and the generation weights it feeds back to the nightly batch.

Hands on: the report's files and ``generation_weights.json``.
"""
