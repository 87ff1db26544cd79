"""Read models: one module per question people ask, each with its tables and how every event
it reads changes them. Pure Python (no I/O): ``infra.readside.projector`` runs them against a database.
"""
