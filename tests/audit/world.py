"""A small customer world built through the real commands, shared by the audit tests."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from infra.audit import export, export_check
from infra.bootstrap import Sales
from tests.conftest import at


@dataclass
class World:
    ann: str
    account: str
    lead: str
    contact: str
    deal: str
    order: str
    other_account: str
    other_deal: str


def build(sales: Sales, record: Any = None) -> World:
    """Ann's customer Acme (from a converted lead) and Bob's customer Beta;
    ``record(instant, account, deal, order)`` is called after steps of Acme's history so a
    test can keep what the system answered at that instant."""
    note = record or (lambda *args: None)
    ann = str(sales.reps.hire(at(1), name="Ann", email="ann@example.com", role="rep",
                              team="north", region="north").stream_id)
    bob = str(sales.reps.hire(at(1), name="Bob", email="bob@example.com", role="rep",
                              team="south", region="south").stream_id)
    sales.stock.register(at(1), sku="W-1", name="Widget", base_price=Decimal(100))
    sales.stock.receive(at(1), "W-1", quantity=50)
    lead = str(sales.leads.capture(at(2), person="Lea Park", company="Acme", email="lea@acme.com",
                                   phone="+44 20 7946 0000", channel="web_form",
                                   region="north").stream_id)
    other = str(sales.accounts.open(at(2), name="Beta", region="south", owner_id=bob).stream_id)
    other_deal = str(sales.opportunities.open(at(2), account_id=other, owner_id=bob, name="beta",
                                              amount=Decimal(5000),
                                              expected_close=date(2027, 1, 31)).stream_id)
    sales.orders.place(at(3), account_id=other, lines=[("W-1", 1)])
    sales.leads.assign(at(3), lead, rep_id=ann)
    sales.leads.qualify(at(4), lead)
    converted = sales.conversion.convert(at(5), lead)
    account, deal = converted.account_id, converted.opportunity_id
    note(at(5, 12).now, account, deal, None)
    sales.opportunities.change_stage(at(8), deal, stage="proposal")
    note(at(8, 12).now, account, deal, None)
    sales.accounts.grade(at(9), account, grade="A")
    note(at(9, 12).now, account, deal, None)
    sales.opportunities.change_stage(at(12), deal, stage="closed_won")
    order = str(sales.orders.place(at(13), account_id=account, lines=[("W-1", 5)],
                                   opportunity_id=deal).stream_id)
    note(at(13, 12).now, account, deal, order)
    sales.orders.confirm(at(14), order)
    sales.orders.ship(at(15), order, shipment_id="s1", lines=[("W-1", 5)])
    note(at(15, 12).now, account, deal, order)
    return World(ann, account, lead, converted.contact_id, deal, order, other, other_deal)


def verified_export(saved: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(manifest, rows) of a downloaded export, once it is asserted to verify offline."""
    manifest, rows = export.read(saved)
    assert export_check.verify(manifest, rows) == []
    return manifest, rows


def downloaded(answer: Any, folder: Path, account: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """An export answered over HTTP as an attachment: saved, read and verified."""
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-disposition"] == f'attachment; filename="audit-{account}.jsonl"'
    saved = folder / "export.jsonl"
    saved.write_bytes(answer.content)
    return verified_export(saved)
