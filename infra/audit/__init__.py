"""Audit tooling: the hash chain over the global order, its sealer and verifier, the
account index and history, exports, and erasure of personal data by key destruction."""
