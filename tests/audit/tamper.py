"""Direct changes to the events table, as an attacker with database access would make them."""

from typing import Any

from infra.sql.database import Database


def _run(db: Database, statements: list[tuple[str, list[Any]]]) -> None:
    conn = db.connect()
    try:
        with db.transaction(conn) as cursor:
            for statement, params in statements:
                cursor.execute(db.sql(statement), params)
    finally:
        conn.close()


def alter(db: Database, position: int) -> None:
    conn = db.connect()
    try:
        (state,) = conn.execute(db.sql(f"SELECT state FROM {db.events_table} "
                                       f"WHERE {db.position_column} = ?"), [position]).fetchone()
    finally:
        conn.close()
    changed = bytes(state).replace(b'"meta":{', b'"meta":{"x":1,', 1)
    _run(db, [(f"UPDATE {db.events_table} SET state = ? WHERE {db.position_column} = ?",
               [changed, position])])


def delete(db: Database, position: int) -> None:
    _run(db, [(f"DELETE FROM {db.events_table} WHERE {db.position_column} = ?", [position])])


def swap(db: Database, first: int, second: int) -> None:
    """Exchanges two events' positions (the rows keep their bytes, their places change)."""
    pos, table = db.position_column, db.events_table
    _run(db, [(f"UPDATE {table} SET {pos} = ? WHERE {pos} = ?", [-1, first]),
              (f"UPDATE {table} SET {pos} = ? WHERE {pos} = ?", [first, second]),
              (f"UPDATE {table} SET {pos} = ? WHERE {pos} = ?", [second, -1])])


def insert_copy(db: Database, source: int, at_position: int, version: int) -> None:
    """A forged event: a copy of ``source`` under a new version, placed at a free position."""
    pos, table = db.position_column, db.events_table
    conn = db.connect()
    try:
        row = conn.execute(db.sql(f"SELECT originator_id, topic, state FROM {table} "
                                  f"WHERE {pos} = ?"), [source]).fetchone()
    finally:
        conn.close()
    _run(db, [(f"INSERT INTO {table} ({pos}, originator_id, originator_version, topic, state) "
               "VALUES (?, ?, ?, ?, ?)", [at_position, row[0], version, row[1], row[2]])])
