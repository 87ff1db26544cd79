"""Campaign: a marketing effort on one lead channel, with what it cost and when it ran.

Leads captured from it name it (``LeadCaptured.campaign_id``), so its leads and the deals they
win can be set against its cost; a channel's cost is the sum of its campaigns' costs, per
currency (a cost is never added to one in another currency).
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from domain.errors import AlreadyExistsError, RuleViolationError
from domain.events import Command, Event
from domain.values import (
    Channel,
    require_cents,
    require_currency,
    require_date,
    require_member,
    require_text,
)

STREAM = "Campaign"


@dataclass(frozen=True)
class CampaignEvent(Event):
    stream_type = STREAM


@dataclass(frozen=True)
class CampaignRegistered(CampaignEvent):
    campaign_id: str
    name: str
    channel: str
    cost: Decimal
    currency: str
    starts: date
    ends: date


@dataclass(frozen=True)
class Campaign:
    id: str
    name: str
    channel: str
    cost: Decimal
    currency: str
    starts: date
    ends: date


@dataclass(frozen=True)
class RegisterCampaign(Command):
    campaign_id: str
    name: str
    channel: str
    cost: Decimal
    currency: str
    starts: date
    ends: date


def decide(state: Campaign | None, command: Command) -> list[Event]:
    if not isinstance(command, RegisterCampaign):
        raise TypeError(f"not a campaign command: {command!r}")
    if state is not None:
        raise AlreadyExistsError(f"campaign {command.campaign_id} already exists")
    c = command
    name, channel = require_text("name", c.name), require_member("channel", c.channel, Channel)
    cost = require_cents("cost", c.cost, positive=False)
    currency = require_currency("currency", c.currency)
    require_date("starts", c.starts)
    if require_date("ends", c.ends) < c.starts:
        raise RuleViolationError("ends", f"{c.ends} is before starts {c.starts}")
    return [CampaignRegistered(c.campaign_id, name, channel, cost, currency, c.starts, c.ends)]


def evolve(state: Campaign | None, event: Event) -> Campaign | None:
    if isinstance(event, CampaignRegistered):
        return Campaign(event.campaign_id, event.name, event.channel, event.cost, event.currency,
                        event.starts, event.ends)
    return state
