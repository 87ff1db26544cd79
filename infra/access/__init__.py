"""Who is calling (bearer tokens) and which answers are replayed (Idempotency-Key)."""
