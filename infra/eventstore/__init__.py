"""The event store: how events are encoded, appended, read, and their personal data keyed."""
