"""Read models: one package per question people ask, each with its projection (its tables and
how every event it reads changes them), its queries and its answers. Pure Python (no I/O):
``infra.readside.projector`` runs the projections, ``infra.readside.readstore.SqlReader`` the
queries, against a database.
"""
