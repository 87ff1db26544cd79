"""The sales domain of sfa-core: pure Python, standard library only.

Each aggregate module holds its state, its events, its commands, a ``decide``
function (command + state -> new events, raising a ``DomainError`` subclass on a
rule violation) and an ``evolve`` function (state + event -> new state, never
rejecting). Time, ids and rule sets are passed in; nothing here performs I/O.
"""
