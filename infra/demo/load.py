"""A realistic, deterministic demo data set, loaded through the commands.

The same seed and scale always give the same streams and events. Prices and marketing are
part of it: the first region's price list is in euros, the second's in US dollars (its deals,
quotes and orders are in dollars), two promotions run during the year, campaigns with
costs on several channels bring leads that name them, and a hand-over credit policy splits
the deals won after a departure. Time is simulated: leads
arrive over the twelve months before ``end``, and each one's life (engagement, calls,
qualification, the deal moving through its stages over weeks, the order, its shipment and
payment) runs on its own schedule, interleaved with everyone else's in time order (an
agenda of steps, earliest first; ``story``). So deals take weeks to months, read models see deals in
every month and stage, and at ``end`` the pipeline holds young and old open deals. Loading
is idempotent: the first rep's id is derived from the seed, and a store that already holds
it is left alone. Its last acts add records in known states for the API's examples
(``examples``) and the departure of a rep.
"""

import hashlib
import random
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import partial

from domain.stages import tier_of
from domain.values import Channel, Tier
from infra.bootstrap import Sales
from infra.demo.examples import DemoExamples, add_examples
from infra.demo.story import Agenda, Clock, Life, Story, days, hours
from infra.eventstore.ids import new_stream_id

SCALES = {"small": (2, 400), "medium": (4, 3000), "large": (8, 20000)}  # teams, leads
REGIONS = ("north", "south", "east", "west", "central", "coast", "alpine", "islands")
INDUSTRIES = ("manufacturing", "software", "retail", "healthcare", "logistics", "finance")
FIRST = ("Anna", "Ben", "Clara", "David", "Eva", "Felix", "Greta", "Hugo", "Ida", "Jonas",
         "Karla", "Lukas", "Mona", "Nils", "Olga", "Paul", "Rosa", "Simon", "Tina", "Uwe")
LAST = ("Schmidt", "Meyer", "Weber", "Wagner", "Becker", "Hoffmann", "Koch", "Richter",
        "Klein", "Wolf", "Neumann", "Braun", "Zimmermann", "Kruger", "Hartmann", "Lange")
COMPANY = ("Nordlicht", "Alpen", "Rhein", "Elbe", "Hansa", "Berg", "Sonnen", "Kraft",
           "Blau", "Stern", "Falken", "Eichen", "Linden", "Brunnen", "Adler", "Greif")
KINDS = ("Werke", "Systeme", "Logistik", "Handel", "Technik", "Medizin", "Software")
PRODUCTS = [(f"SKU-{i:03d}", name, Decimal(price)) for i, (name, price) in enumerate([
    ("Sensor kit", "129.00"), ("Gateway", "849.00"), ("Control unit", "2490.00"),
    ("Cable set", "39.90"), ("Display panel", "615.00"), ("Service pack", "1200.00"),
    ("Battery module", "310.00"), ("Mounting frame", "84.50"), ("Software licence", "990.00"),
    ("Training day", "1450.00"), ("Spare parts box", "220.00"), ("Calibration tool", "560.00"),
], start=1)]
STAGE_PATH = ("qualification", "proposal", "negotiation")
# Price lists: the first region's in euros (a few SKUs below their base price), the second's
# in US dollars (every SKU, so that its deals, quotes and orders are all in dollars).
PRICE_LISTS = ((0, "EUR", Decimal("0.95"), 4), (1, "USD", Decimal("1.09"), len(PRODUCTS)))
# Promotions: name, percent, SKUs (none: all), first and last day as days after the start.
PROMOTIONS = (("spring-sale", Decimal(10), ("SKU-002", "SKU-005", "SKU-009"), 150, 180),
              ("year-end", Decimal(15), (), 300, 320))
# Campaigns: name, channel, cost, currency, first day (after the start), length in days.
CAMPAIGNS = (("Trade fair", "event", "18500.00", "EUR", 20, 120),
             ("Social ads", "social", "6200.00", "EUR", 0, 365),
             ("Webinar series", "web_form", "4800.00", "USD", 60, 180),
             ("Purchased contacts", "purchased_list", "2500.00", "EUR", 90, 90),
             ("Partner summit", "partner", "3200.00", "USD", 200, 100))


def already_loaded(sales: Sales, seed: int) -> bool:
    first_rep = new_stream_id("Rep", f"demo-{seed}-manager-0")
    return bool(sales.store.read_stream(first_rep))


def load_demo(sales: Sales, seed: int = 42, scale: str = "small",
              end: datetime | None = None, progress: Callable[[int], None] | None = None) -> int:
    """Loads the story; returns the number of leads captured (0 when already loaded)."""
    if already_loaded(sales, seed):
        return 0
    teams, leads = SCALES[scale]
    end = end or datetime.now(UTC)
    rng = random.Random(seed)
    start = end - timedelta(days=365)
    story = Story(sales, seed, rng, Clock(start))
    _hire(story, teams, {start.year, end.year})
    _stock(story)
    _prices(story)
    _handover_credit(story)
    _campaigns(story)
    agenda = Agenda(end - timedelta(days=16))  # the departure below is the story's last act
    for i in range(leads):
        arrives = start + timedelta(days=2) + (end - start) * 0.9 * i / leads
        agenda.add(arrives + hours(rng, 0, 12), _lead_life(story, i, progress))
    agenda.run(story.clock)
    examples = add_examples(story)
    _departure(story, examples, left=(end - timedelta(days=2)).date())
    sales.flows.resume()
    return leads


def _hire(story: Story, teams: int, years: set[int]) -> None:
    s, rng = story.sales, story.rng
    for t in range(teams):
        region = REGIONS[t]
        name = f"{FIRST[(t * 3) % len(FIRST)]} {LAST[t % len(LAST)]}"
        manager = s.reps.hire(story.ctx("admin", f"manager-{t}"), name=name,
                              email=f"manager{t}@sfa.example", role="manager",
                              team=f"team-{region}", region=region)
        story.managers[region] = str(manager.stream_id)
        _token(story, "manager", str(manager.stream_id), f"manager-{t}")
        story.teams[region] = []
        for r in range(5):
            person = f"{FIRST[(t * 5 + r + 7) % len(FIRST)]} {LAST[(t + r * 3) % len(LAST)]}"
            hired = s.reps.hire(story.ctx("admin", f"rep-{t}-{r}"), name=person,
                                email=f"rep{t}.{r}@sfa.example", role="rep", team=f"team-{region}",
                                region=region, manager_id=str(manager.stream_id))
            rep_id = str(hired.stream_id)
            story.teams[region].append(rep_id)
            _token(story, "rep", rep_id, f"rep-{t}-{r}")
            for year in sorted(years):  # the story spans two calendar years
                for q in range(1, 5):
                    s.reps.set_quota(story.ctx("admin"), rep_id, period=f"{year}-Q{q}",
                                     amount=Decimal(rng.choice([60000, 80000, 100000])))
            s.reps.set_commission_plan(story.ctx("admin"), rep_id, rate=Decimal("0.05"),
                                       accelerated_rate=Decimal("0.08"))


def _token(story: Story, role: str, rep_id: str, key: str) -> None:
    """Each person of the demo is given a token when hired (its secret is not kept: no one
    holds it), so that who could see what, when, has people to name. Its id follows from
    the seed, as every record's does."""
    token_id = hashlib.sha256(f"demo-{story.seed}-{key}".encode()).hexdigest()[:12]
    story.sales.tokens.create(role, rep_id, label="demo", ctx=story.ctx("admin"),
                              token_id=token_id)


def _stock(story: Story) -> None:
    for sku, name, price in PRODUCTS:
        story.sales.stock.register(story.ctx("admin", f"sku-{sku}"), sku=sku, name=name,
                                   base_price=price, reorder_level=20)
        story.sales.stock.receive(story.ctx("admin"), sku, quantity=story.rng.randint(150, 400))


def _prices(story: Story) -> None:
    """The regions' price lists and the year's promotions, set by an admin at the start."""
    regions, start = list(story.teams), story.clock.now.date()
    for index, currency, factor, count in PRICE_LISTS:
        if index < len(regions):
            prices = [(sku, (price * factor).quantize(Decimal("0.01")))
                      for sku, _, price in PRODUCTS[:count]]
            story.sales.prices.set_price_list(story.ctx("admin"), regions[index],
                                              currency=currency, prices=prices)
            story.currencies[regions[index]] = currency
    for name, percent, skus, first, last in PROMOTIONS:
        story.sales.prices.add_promotion(
            story.ctx("admin", f"promotion-{name}"), name=name, percent=percent, skus=skus,
            valid_from=start + timedelta(days=first), valid_to=start + timedelta(days=last))


def _handover_credit(story: Story) -> None:
    """The hand-over credit policy in force from the start: a departing rep keeps half of
    an upper-tier deal won after their departure, a quarter of a middle-tier one, none of a
    lower-tier one (``GET /v1/commissions/{rep_id}`` splits them so)."""
    story.sales.policies.set_handover_credit(
        story.ctx("admin"), upper=Decimal("0.5"), middle=Decimal("0.25"), lower=Decimal(0),
        effective_from=story.clock.now.date())


def _campaigns(story: Story) -> None:
    start = story.clock.now.date()
    for name, channel, cost, currency, first, days_long in CAMPAIGNS:
        starts = start + timedelta(days=first)
        ends = starts + timedelta(days=days_long - 1)
        registered = story.sales.campaigns.register(
            story.ctx("admin", f"campaign-{name}"), name=name, channel=channel,
            cost=Decimal(cost), currency=currency, starts=starts, ends=ends)
        story.campaigns.append((str(registered.stream_id), channel, starts, ends))


def _campaign_of(story: Story, i: int, channel: str) -> str | None:
    """Three leads in four of a channel with a campaign running name it."""
    today = story.clock.now.date()
    running = [c for c, on, starts, ends in story.campaigns
               if on == channel and starts <= today <= ends]
    return running[0] if running and i % 4 else None


def _new_person(story: Story, i: int) -> tuple[str, str, str, str]:
    rng = story.rng
    if story.people and rng.random() < 0.08:
        person, company, email, phone = rng.choice(story.people)
        return person, company, email.upper(), phone  # the same person again: a duplicate
    person = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    company = f"{rng.choice(COMPANY)} {rng.choice(KINDS)} GmbH"
    email = f"{person.split()[0].lower()}.{i}@{company.split()[0].lower()}.example"
    phone = f"+49 30 {rng.randint(1000000, 9999999)}"
    story.people.append((person, company, email, phone))
    return person, company, email, phone


def _lead_life(story: Story, i: int, progress: Callable[[int], None] | None) -> Life:
    s, rng = story.sales, story.rng
    if progress and i % 50 == 0:
        progress(i)
    region = rng.choice(list(story.teams))
    person, company, email, phone = _new_person(story, i)
    channel = rng.choice(list(Channel)).value
    captured = s.leads.capture(
        story.ctx("web", f"lead-{i}"), person=person, company=company, email=email, phone=phone,
        channel=channel, region=region,
        industry=rng.choice(INDUSTRIES), company_size=rng.choice([8, 40, 120, 400, 2500]),
        interests=tuple(rng.sample([p[1] for p in PRODUCTS], rng.randint(0, 3))),
        campaign_id=_campaign_of(story, i, channel))
    lead_id = str(captured.stream_id)
    for _ in range(rng.randint(0, 3)):
        yield hours(rng, 2, 72)
        kind = rng.choice(["site_visit", "download", "seminar", "reply", "demo_request"])
        s.leads.record_engagement(story.ctx(), lead_id, kind=kind)
    yield hours(rng, 1, 24)
    rule = "round_robin" if i % 2 else "least_loaded"
    owner = str(s.leads.distribute(story.ctx("system"), lead_id, rule=rule).events[0].rep_id)  # type: ignore[attr-defined]
    yield hours(rng, 1, 48)
    s.leads.log_interaction(story.ctx(owner), lead_id, interaction_id=f"call-{i}", kind="call",
                            notes="first call", outcome=rng.choice(["interested", "no answer"]))
    due = story.clock.now.date() + timedelta(days=rng.randint(1, 14))
    s.leads.schedule_follow_up(story.ctx(owner), lead_id, follow_up_id=f"fu-{i}", due=due,
                               note="send material")
    if rng.random() < 0.7:
        yield days(rng, 1, 10)
        s.leads.complete_follow_up(story.ctx(owner), lead_id, follow_up_id=f"fu-{i}",
                                   outcome="done")
    yield days(rng, 1, 7)
    yield from _qualify_or_not(story, lead_id, owner, captured.events[0].duplicate_of,  # type: ignore[attr-defined]
                               story.currencies.get(region, "EUR"))


def _qualify_or_not(story: Story, lead_id: str, owner: str, duplicate_of: str | None,
                    currency: str) -> Life:
    s, rng = story.sales, story.rng
    if duplicate_of or rng.random() < 0.2:
        reason = "duplicate" if duplicate_of else rng.choice(["no budget", "no need", "student"])
        s.leads.disqualify(story.ctx(owner), lead_id, reason=reason)
        return
    if rng.random() < 0.25:
        return  # still being nurtured
    s.leads.qualify(story.ctx(owner), lead_id)
    if rng.random() < 0.75:
        yield days(rng, 1, 10)
        amount = Decimal(rng.choice([5, 8, 12, 20, 35, 60, 90])) * 1000
        close = story.clock.now.date() + timedelta(days=rng.randint(30, 150))
        conversion = s.conversion.convert(story.ctx(owner), lead_id, amount=amount,
                                          expected_close=close, currency=currency)
        yield from _work_opportunity(story, conversion.opportunity_id, conversion.account_id,
                                     owner)


def _work_opportunity(story: Story, opportunity_id: str, account_id: str, owner: str) -> Life:
    s, rng = story.sales, story.rng
    yield days(rng, 0, 5)
    s.accounts.grade(story.ctx(owner), account_id, grade=rng.choice(["key", "A", "B", "C"]))
    s.opportunities.evaluate(story.ctx(owner), opportunity_id, budget=rng.randint(2, 10),
                             need=rng.randint(2, 10), authority=rng.randint(1, 10),
                             competition=rng.randint(0, 9))
    for stage in STAGE_PATH[: rng.randint(0, 3)]:
        yield days(rng, 4, 30)
        s.opportunities.change_stage(story.ctx(owner), opportunity_id, stage=stage)
        s.opportunities.log_interaction(story.ctx(owner), opportunity_id,
                                        interaction_id=f"{stage}-{opportunity_id[:8]}",
                                        kind=rng.choice(["call", "meeting", "email"]),
                                        notes=f"moved to {stage}", outcome="interested")
        if stage == "proposal":
            lines = [(sku, rng.randint(1, 30)) for sku, _, _ in rng.sample(PRODUCTS, 2)]
            valid = story.clock.now.date() + timedelta(days=30)
            s.opportunities.issue_quote(story.ctx(owner), opportunity_id,
                                        quote_id=f"Q-{opportunity_id[:8]}", lines=lines,
                                        valid_until=valid)
    roll = rng.random()  # won 40 %, lost 35 %, left open (stuck, in time) 25 %
    if roll < 0.75:
        yield days(rng, 5, 40)
    if roll < 0.4:
        s.opportunities.change_stage(story.ctx(owner), opportunity_id, stage="closed_won")
        story.won.append((opportunity_id, account_id))
        yield days(rng, 1, 10)
        yield from _order(story, len(story.won) - 1, opportunity_id, account_id)
    elif roll < 0.75:
        s.opportunities.change_stage(story.ctx(owner), opportunity_id, stage="closed_lost",
                                     reason="price", competitor=rng.choice(["Rival AG", "Other"]))
    else:
        story.opportunities.append((opportunity_id, account_id))


def _order(story: Story, n: int, opportunity_id: str, account_id: str) -> Life:
    s, rng = story.sales, story.rng
    lines = [(sku, rng.randint(1, 12)) for sku, _, _ in rng.sample(PRODUCTS, rng.randint(1, 3))]
    placed = story.attempt(partial(
        s.orders.place, story.ctx("demo", f"order-{n}"), account_id=account_id, lines=lines,
        opportunity_id=opportunity_id))
    if placed is None:  # out of stock: the warehouse restocks, the order is lost
        for sku, _ in lines:
            s.stock.receive(story.ctx("warehouse"), sku, quantity=200)
        return
    order_id = str(placed.stream_id)  # type: ignore[attr-defined]
    yield hours(rng, 2, 48)
    if rng.random() < 0.08:
        s.orders.cancel(story.ctx("demo"), order_id, reason="customer withdrew")
        return
    s.orders.confirm(story.ctx("demo"), order_id)
    if rng.random() < 0.2:
        return
    yield days(rng, 1, 7)
    s.orders.ship(story.ctx("warehouse"), order_id, shipment_id=f"S-{n}", lines=lines)
    if rng.random() < 0.2:
        return
    yield days(rng, 0, 3)
    total = s.orders.get(order_id).total
    s.orders.invoice(story.ctx("billing"), order_id, invoice_id=f"INV-{n}", amount=total)
    if rng.random() < 0.8:
        yield days(rng, 7, 30)
        s.orders.record_payment(story.ctx("billing"), order_id, amount=total, reference=f"P-{n}")


def _departure(story: Story, examples: DemoExamples, left: date) -> None:
    """The busiest rep of the first team gives notice about two weeks ahead, to leave two
    days before the story ends: the manager gives the deals at 50 % or more (the middle and
    lower tiers, their accounts following them) to another colleague and the rest to the
    next rep, and approves; the plan executes on the day (the hand-over's first items are
    overdue at the story's end). The next rep then introduces themself on three deals (not
    the example deal: its hand-over is left pending). A rep of the second team has given
    notice for a month after the story ends: that plan is still under review."""
    region = next(iter(story.teams))
    leaving, successor, colleague = story.teams[region][:3]
    manager, flow = story.managers[region], story.sales.departure
    flow.give_notice(story.ctx(leaving), leaving, effective_date=left, successor_id=successor)
    advanced = [i.item_id for i in story.sales.directory.owned_open_items(leaving)
                if i.kind == "opportunity" and tier_of(i.probability) is not Tier.UPPER
                and i.item_id not in examples.records]
    flow.plan(story.ctx(manager), leaving, [(deal, colleague) for deal in advanced])
    flow.approve(story.ctx(manager), leaving)
    story.clock.now = max(story.clock.now, datetime.combine(left, time(8), UTC))
    flow.execute(story.ctx("system:flows"), leaving)  # the flow runner's timer, on the day
    handed_over = [i for i in story.sales.directory.owned_open_items(successor)
                   if i.kind == "opportunity" and i.item_id not in examples.records
                   and story.sales.opportunities.get(i.item_id).handover_status == "pending"]
    for item in handed_over[:3]:
        story.sales.opportunities.advance_handover(story.ctx(successor), item.item_id,
                                                   status="introduced")
    if len(story.teams) > 1:  # the examples' plan and approval act on this notice
        flow.give_notice(story.ctx(examples.leaving), examples.leaving,
                         effective_date=left + timedelta(days=32))

