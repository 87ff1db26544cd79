"""The PL/pgSQL append functions, kept as .sql files (package data), install the same text
as stores written by f177836 hold: a store opened by this code gets its functions replaced
by identical ones, byte for byte (tests/fixtures/f177836/postgresql.sql.gz)."""

import gzip
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from psycopg.sql import Identifier

from infra.eventstore.recorders import PostgresSalesRecorder, plpgsql

DUMP = Path(__file__).parents[1] / "fixtures" / "f177836" / "postgresql.sql.gz"


def _dumped_body(function: str) -> str:
    """The body (between ``$$``) of ``public.<function>`` in the f177836 dump."""
    dump = gzip.decompress(DUMP.read_bytes()).decode()
    found = re.search(rf"CREATE FUNCTION public\.{function}\(.*?AS \$\$(.*?)\$\$;", dump, re.S)
    assert found is not None
    return found.group(1)


def _installed_body(function: str) -> str:
    """The body our recorder installs for a store like the fixture's (public schema, uuid
    ids, events in sfa_events, a 10 s lock timeout)."""
    recorder = SimpleNamespace(
        datastore=SimpleNamespace(schema="public", originator_id_type="uuid", lock_timeout=10),
        events_table_name="sfa_events", channel_name="sfa_events")
    recorder._function_names = lambda: PostgresSalesRecorder._function_names(recorder)
    make = {"sfa_events_append": PostgresSalesRecorder._append_function,
            "sfa_events_append_together": PostgresSalesRecorder._append_together_function}
    text = make[function](recorder, Identifier("public", function)).as_string(None)
    return text.split("$body$")[1]


@pytest.mark.parametrize("function", ["sfa_events_append", "sfa_events_append_together"])
def test_the_installed_function_is_the_one_f177836_stores_hold(function: str) -> None:
    body = _installed_body(function)
    assert body == _dumped_body(function)
    assert body.startswith(" DECLARE ") and body.endswith(" END ")


def test_the_sql_files_are_package_data_read_as_one_line() -> None:
    for name in ("append.sql", "append_together.sql"):
        text = plpgsql(name)
        assert text.startswith("CREATE OR REPLACE FUNCTION {function}(")
        assert "\n" not in text and "--" not in text and text.endswith("END $body$")
