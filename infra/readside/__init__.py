"""The read side: projecting events into read models, and the queries that answer from them."""
