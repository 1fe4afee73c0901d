"""Thread memory and small state (events seen, preferences), in Redis or in memory."""
