"""The deal intervals' answers (``api.routers.opportunities`` returns them)."""

from datetime import datetime

from pydantic import BaseModel, Field


class StageInterval(BaseModel):
    stage: str
    entered_at: datetime
    left_at: datetime | None = Field(description="Null while the deal is in this stage")
    days: int | None = Field(description="Whole days in the stage: until it left, or until "
                                         "now while it is there; null in a closed stage")


class DealStages(BaseModel):
    opportunity_id: str
    items: list[StageInterval] = Field(description="In the order the deal went through them")
