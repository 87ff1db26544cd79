"""Cross-aggregate flows: explicit process steps, one aggregate per transaction.

Every step is idempotent (derived ids, "already done" checks in the domain), so a flow
interrupted between two steps is completed by running it again; ``FlowRunner`` does that
for every flow started in the store after its last checkpoint.
"""
