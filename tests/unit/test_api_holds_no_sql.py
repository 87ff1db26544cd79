"""The API only translates: no SQL statement is written in api/ (the statements live in infra,
behind the query objects, the stores and ``infra.readside.serving``), and no driver is
imported there (so none of its exceptions is caught: ``infra.sql.failures`` translates them).
import-linter checks the imports of installed drivers (``make lint``); this checks what it
cannot see: string literals, and the standard library's ``sqlite3``."""

import ast
import re
from pathlib import Path

API = Path(__file__).resolve().parents[2] / "api"
# the shapes of statements, not single words ("the same as DELETE ..." in a docstring is prose)
STATEMENT = re.compile(
    r"\bSELECT\b.+\bFROM\b|\bINSERT\s+INTO\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b"
    r"|\b(CREATE|DROP|ALTER)\s+(TABLE|INDEX|VIEW)\b|\bpg_\w+\(|\bPRAGMA\b", re.DOTALL)


def literals_in(source: str) -> list[str]:
    """Every string literal; an f-string whole, its values written ``{}``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.append(node.value)
        elif isinstance(node, ast.JoinedStr):
            found.append("".join(v.value if isinstance(v, ast.Constant) else "{}"
                                 for v in node.values))
    return found


def statements_in(source: str) -> list[str]:
    """Each string literal that reads as a SQL statement."""
    return [text for text in literals_in(source) if STATEMENT.search(text)]


def test_the_check_finds_statements_and_passes_prose() -> None:
    found = statements_in('q = f"SELECT {cols} FROM inventory_levels ORDER BY sku"\n'
                          'w = "DELETE FROM sfa_tokens WHERE token_id = ?"\n'
                          '"""The same as `DELETE .../contacts/{id}`, for clients that POST."""\n'
                          'x = "select a resource, then update it"\n')
    assert found == ["SELECT {} FROM inventory_levels ORDER BY sku",
                     "DELETE FROM sfa_tokens WHERE token_id = ?"]


def test_no_module_of_the_api_holds_a_sql_statement() -> None:
    modules = sorted(API.rglob("*.py"))
    assert len(modules) > 20
    offending = {f"{path.relative_to(API.parent)}: {text[:60]!r}"
                 for path in modules for text in statements_in(path.read_text(encoding="utf-8"))}
    assert offending == set()


def test_no_module_of_the_api_imports_a_database_driver() -> None:
    drivers = {"sqlite3", "psycopg", "psycopg_pool", "eventsourcing"}
    offending = set()
    for path in sorted(API.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offending |= {f"{path.name}: {n}" for n in names if n.split(".")[0] in drivers}
    assert offending == set()
