"""coopbot: a Vietnamese assistant for cooperative founders (channel-agnostic core)."""

__version__ = "0.1.0"
