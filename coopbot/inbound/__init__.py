"""The inbound pipeline: durable inbox, per-chat order, core, sending (see pipeline.py)."""
