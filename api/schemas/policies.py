"""The hand-over credit policy a command sets."""

from pydantic import BaseModel, ConfigDict, Field

from api.inputs import Day, Fraction


class HandOverCreditPut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "upper": "0.5", "middle": "0.25", "lower": "0", "effective_from": "2026-01-01"}]})
    upper: Fraction = Field(description="The departing rep's share of an upper-tier deal won "
                                        "after the hand-over (0 to 1; the successor the rest)")
    middle: Fraction = Field(description="The same for a middle-tier deal")
    lower: Fraction = Field(description="The same for a lower-tier deal")
    effective_from: Day | None = Field(None, description="Deals won from this day on (default: "
                                                         "today, UTC)")
