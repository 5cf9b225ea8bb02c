"""Channel adapters and the composition root; the only package that knows every channel."""
