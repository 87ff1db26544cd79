"""What differs between SQLite and PostgreSQL is the dialects' (``infra.sql.dialects``) and the
per-dialect recorders' (``infra.eventstore.recorders``): no other production module tests the
backend, a recorder's class, or types a connection or cursor as ``Any``. ``make lint`` runs it."""

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("domain", "projections", "infra", "api", "workers")
DIALECTS = ROOT / "infra" / "sql" / "dialects"
RECORDERS = ROOT / "infra" / "eventstore" / "recorders.py"
CONNECTION_NAME = re.compile(r"^_*(conn|connection|cursor|curs|cur)(ection)?s?$|_conn$|_cursor$",
                             re.IGNORECASE)


def production_files() -> Iterator[Path]:
    for package in PACKAGES:
        yield from sorted((ROOT / package).rglob("*.py"))


def _named(node: ast.AST, name: str) -> bool:
    return (isinstance(node, ast.Name) and node.id == name) or (
        isinstance(node, ast.Attribute) and node.attr == name)


def backend_tests(tree: ast.AST) -> list[int]:
    """Lines comparing something named ``backend`` (``x.backend == "sqlite"``, ``in``, ...)."""
    return [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Compare)
            and any(_named(side, "backend") for side in (node.left, *node.comparators))]


def recorder_type_tests(tree: ast.AST) -> list[int]:
    """Lines asking ``isinstance(x, ...Recorder)`` or ``type(x) is ...Recorder``."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _named(node.func, "isinstance") and len(node.args) == 2:
            kinds = node.args[1].elts if isinstance(node.args[1], ast.Tuple) else [node.args[1]]
            if any(ast.unparse(kind).endswith("Recorder") for kind in kinds):
                found.append(node.lineno)
        elif isinstance(node, ast.Compare) and isinstance(node.left, ast.Call) \
                and _named(node.left.func, "type") \
                and any(ast.unparse(c).endswith("Recorder") for c in node.comparators):
            found.append(node.lineno)
    return found


def _is_any(annotation: ast.AST | None) -> bool:
    """``Any``, ``typing.Any``, ``Any | None``, ``Optional[Any]`` (quoted or not)."""
    if annotation is None:
        return False
    text = ast.unparse(annotation).strip("'\"").replace(" ", "")
    return text in ("Any", "typing.Any", "Any|None", "None|Any", "Optional[Any]")


def any_connections(tree: ast.AST) -> list[str]:
    """Parameters, attributes and variables named like a connection or cursor typed ``Any``,
    and functions named like one (``connect``, ``cursor``) returning ``Any``."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.arg) and CONNECTION_NAME.search(node.arg) and _is_any(
                node.annotation):
            found.append(f"{node.lineno}: {node.arg}")
        elif isinstance(node, ast.AnnAssign) and _is_any(node.annotation):
            target = node.target.attr if isinstance(node.target, ast.Attribute) else (
                node.target.id if isinstance(node.target, ast.Name) else "")
            if CONNECTION_NAME.search(target):
                found.append(f"{node.lineno}: {target}")
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _is_any(node.returns) \
                and re.search(r"connect|cursor|reader$", node.name):
            found.append(f"{node.lineno}: {node.name}()")
    return found


def _parsed(path: Path) -> ast.AST:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def test_the_guard_reads_the_production_packages() -> None:
    names = {path.relative_to(ROOT).as_posix() for path in production_files()}
    assert {"infra/sql/database.py", "infra/eventstore/store.py", "workers/store.py"} <= names


def test_only_the_dialects_decide_by_the_backend() -> None:
    offending = [f"{path.relative_to(ROOT)}:{line}" for path in production_files()
                 if DIALECTS not in path.parents for line in backend_tests(_parsed(path))]
    assert offending == []


def test_only_the_recorders_ask_a_recorder_for_its_class() -> None:
    offending = [f"{path.relative_to(ROOT)}:{line}" for path in production_files()
                 if path != RECORDERS for line in recorder_type_tests(_parsed(path))]
    assert offending == []


def test_no_connection_or_cursor_is_typed_any() -> None:
    offending = [f"{path.relative_to(ROOT)}:{where}" for path in production_files()
                 for where in any_connections(_parsed(path))]
    assert offending == []


def test_the_guard_would_catch_each_way_back() -> None:
    code = ast.parse(
        "if db.backend == 'sqlite': pass\n"
        "x = 'BLOB' if settings.backend != 'sqlite' else 'BYTEA'\n"
        "if isinstance(store.recorder, PostgresSalesRecorder): pass\n"
        "if isinstance(r, (A, recorders.SQLiteSalesRecorder)): pass\n"
        "def read(conn: Any, cursor: 'Any | None' = None) -> None: ...\n"
        "class Holder:\n    _conn: Any = None\n"
        "def connect() -> Any: ...\n")
    assert backend_tests(code) == [1, 2]
    assert recorder_type_tests(code) == [3, 4]
    assert sorted(any_connections(code)) == ["5: conn", "5: cursor", "7: _conn", "8: connect()"]
    fine = ast.parse("def read(conn: Connection, currency: Any, content: Any) -> Any: ...\n"
                     "if db.dialect.arrays: pass\n")
    assert backend_tests(fine) == [] and any_connections(fine) == []
