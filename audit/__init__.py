"""audit: verify the performance figures in Markdown reports on LLM deployments."""

__version__ = "0.1.0"
