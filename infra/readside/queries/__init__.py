"""The read side: plain SQL over the read models' views, never domain objects."""
