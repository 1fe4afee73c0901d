"""Vision engines: local transformers, OpenAI-compatible HTTP, and OCR only."""
