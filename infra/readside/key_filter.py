"""A bounded set of keys that may answer "perhaps" for a key never added (a scalable Bloom
filter).

The row cache (``infra.readside.row_cache``) forgets rows to stay within its bound; it keeps the
keys of the stored rows it forgot here, to know without a query that a row it never stored does
not exist. A key added is always found; a key never added is found by mistake now and then, and
each mistake costs one read of the database, never a wrong answer.

The filter starts at 16 KiB and adds a layer twice as big each time the newest one holds
``BITS_PER_KEY`` bits per key (about 1.5 bytes per key; each layer is wrong for under 1 % of
the keys never added, all of them together for about 2 % at 100,000 keys and 5 % at 5,000,000),
up to ``MAX_BITS`` (8 MiB) per table: past about 5,600,000 keys it stops growing and its last
layer fills up, so it is wrong more and more often (16 % at 10,000,000 keys) — the memory
stays bounded and the cost moves to reads of the database.
"""

from collections.abc import Hashable

MASK64 = (1 << 64) - 1
FIRST_BITS = 1 << 17  # 16 KiB
MAX_BITS = 1 << 26  # all layers of one filter together: 8 MiB
BITS_PER_KEY = 12
PROBES = 4


class KeyFilter:
    def __init__(self) -> None:
        self.layers: list[bytearray] = []  # newest last
        self.room = 0  # keys the newest layer takes before a bigger one is added
        self.added = 0

    def add(self, key: Hashable) -> None:
        if self.room <= 0:
            self._grow()
        layer = self.layers[-1]
        for index in _probes(key, len(layer) * 8 - 1):
            layer[index >> 3] |= 1 << (index & 7)
        self.room -= 1
        self.added += 1

    def _grow(self) -> None:
        bits = FIRST_BITS if not self.layers else len(self.layers[-1]) * 16
        if sum(len(layer) for layer in self.layers) * 8 + bits > MAX_BITS:
            return  # full size: the newest layer takes every further key
        self.layers.append(bytearray(bits // 8))
        self.room = bits // BITS_PER_KEY

    def __contains__(self, key: Hashable) -> bool:
        """Written out: asked for every row a projector misses (most of them new)."""
        first = _mixed(key)
        second = (first >> 32) | 1
        for layer in self.layers:
            mask = len(layer) * 8 - 1
            index = first & mask
            if not layer[index >> 3] & (1 << (index & 7)):
                continue  # the usual answer for a key never added: one probe
            for i in range(1, PROBES):
                index = (first + i * second) & mask
                if not layer[index >> 3] & (1 << (index & 7)):
                    break
            else:
                return True
        return False

    @property
    def size(self) -> int:
        """Bytes held."""
        return sum(len(layer) for layer in self.layers)


def _mixed(key: Hashable) -> int:
    """The key's hash, its bits mixed (splitmix64's finaliser). Python's hash of a tuple is
    nearly linear in an int it holds, so keys counting up — ("deal", 1), ("deal", 2), … —
    would fall on a regular lattice of bits, and for some string hashes the lattice of other
    keys falls onto it: 4 % of them found by mistake instead of 1 % per layer."""
    z = hash(key) & MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def _probes(key: Hashable, mask: int) -> tuple[int, ...]:
    """``PROBES`` bit positions under ``mask`` from one hash (double hashing)."""
    first = _mixed(key)
    second = (first >> 32) | 1
    return tuple((first + i * second) & mask for i in range(PROBES))
