"""Who could see a record at an instant: the access rule (``infra.service.visibility``)
applied to the facts as they stood then.

- auditor, integrator, admin: everything;
- rep: what they owned;
- manager: what they or a rep of their team (then) owned, and leads nobody owned.
Only the tokens valid at that instant count: a person without one could see nothing.
"""

from collections import defaultdict
from datetime import datetime
from typing import Any

from domain.token import READ_ALL, TokenRole
from projections.access_history.projection import OWNER, TEAM
from projections.base import Reader

WHY_ORDER = ("owner", "team_manager", "unassigned_lead", "role")


class AccessHistoryQueries:
    def __init__(self, read: Reader) -> None:
        self.read = read

    def record(self, record_id: str) -> dict[str, Any] | None:
        found = self.read.rows("SELECT record_id, kind, created_at, account_id FROM "
                               "access_records WHERE record_id = ?", (record_id,))
        if not found:
            return None
        return {**found[0], "created_at": self.read.value("timestamp", found[0]["created_at"])}

    def fact_at(self, subject_id: str, fact: str, at: datetime) -> str | None:
        """The value ``fact`` of ``subject_id`` held at ``at`` (None: none, or not yet)."""
        when = self.read.stored("timestamp", at)
        now = self.read.rows("SELECT value FROM access_facts WHERE subject_id = ? AND "
                             "fact = ? AND since <= ?", (subject_id, fact, when))
        if now:
            return now[0]["value"]  # type: ignore[no-any-return]
        before = self.read.rows(
            "SELECT value FROM access_fact_history WHERE subject_id = ? AND fact = ? AND "
            "valid_from <= ? AND valid_to > ?", (subject_id, fact, when, when))
        return before[0]["value"] if before else None

    def tokens_at(self, at: datetime) -> list[dict[str, Any]]:
        when = self.read.stored("timestamp", at)
        return self.read.rows(
            "SELECT token_id, role, rep_id FROM access_tokens WHERE issued_at <= ? AND "
            "(revoked_at IS NULL OR revoked_at > ?) ORDER BY token_id", (when, when))

    def names(self, rep_ids: set[str]) -> dict[str, str]:
        if not rep_ids:
            return {}
        where, params = self.read.one_of("record_id", sorted(rep_ids))
        return {r["record_id"]: r["name"] for r in self.read.rows(
            f"SELECT record_id, name FROM access_records WHERE {where}", params)}

    def who_could_see(self, record: dict[str, Any], at: datetime) -> dict[str, Any]:
        """The answer for a record (``record``) at ``at``."""
        existed = record["created_at"] <= at
        owner_of = record["account_id"] if record["kind"] == "order" else record["record_id"]
        owner = self.fact_at(owner_of, OWNER, at) if existed else None
        team = self.fact_at(owner, TEAM, at) if owner else None
        answer = {"record_id": record["record_id"], "kind": record["kind"], "at": at,
                  "existed": existed, "owner_id": owner, "owner_team": team, "viewers": []}
        if not existed:
            return answer
        unassigned = owner is None and record["kind"] == "lead"
        viewers: dict[tuple[str, str, str], list[str]] = defaultdict(list)
        for token in self.tokens_at(at):
            why = self._why(token, owner, team, unassigned, at)
            if why is not None:
                subject = token["rep_id"] or f"token:{token['token_id']}"
                viewers[(subject, token["role"], why)].append(token["token_id"])
        names = self.names({s for s, _, _ in viewers if not s.startswith("token:")})
        answer["viewers"] = sorted(
            ({"subject": s, "name": names.get(s), "role": role, "why": why, "token_ids": ids}
             for (s, role, why), ids in viewers.items()),
            key=lambda v: (WHY_ORDER.index(v["why"]), v["subject"], v["role"]))
        return answer

    def _why(self, token: dict[str, Any], owner: str | None, team: str | None,
             unassigned: bool, at: datetime) -> str | None:
        """Why the token's holder could see the record then (None: they could not)."""
        role, rep_id = token["role"], token["rep_id"]
        if role in READ_ALL:
            return "role"
        if owner is not None and rep_id == owner:
            return "owner"
        if role != TokenRole.MANAGER:
            return None
        if unassigned:
            return "unassigned_lead"
        if team is not None and self.fact_at(rep_id, TEAM, at) == team:
            return "team_manager"
        return None
