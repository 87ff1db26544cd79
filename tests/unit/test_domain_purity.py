"""The domain imports only the standard library and itself: no I/O, no framework."""

import ast
import sys
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[2] / "domain"


def imports_of(path: Path) -> set[str]:
    """Every module ``path`` imports, by its full dotted name (relative imports as '.x')."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.add("." * node.level + (node.module or ""))
    return found


def allowed(module: str) -> bool:
    top = module.split(".")[0]
    return top in sys.stdlib_module_names or top == "domain"


def test_the_domain_package_has_modules_to_check() -> None:
    names = {path.stem for path in DOMAIN.glob("*.py")}
    assert {"lead", "opportunity", "order", "stock_item", "catalog", "pricing"} <= names


def test_the_domain_imports_only_the_standard_library_and_itself() -> None:
    offending = {
        f"{path.name}: {module}"
        for path in sorted(DOMAIN.glob("*.py"))
        for module in imports_of(path)
        if not allowed(module)
    }
    assert offending == set()


def test_the_purity_check_would_catch_a_third_party_or_relative_import() -> None:
    assert not allowed("eventsourcing.domain")
    assert not allowed("infra.eventstore.store")
    assert not allowed(".values")  # relative imports are not our style either
    assert allowed("collections.abc") and allowed("domain.values")
