"""Pieces every read model's answers share (the answers themselves live with their question:
``projections/<question>/answers.py``). Answers are pydantic models: the API returns them as
they are, and their field descriptions are the API's documentation."""

from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

# Money as a string with two decimals, whatever scale the view stored it with.
Money = Annotated[Decimal, AfterValidator(lambda v: v.quantize(Decimal("0.01")))]


class PageInfo(BaseModel):
    total: int = Field(description="How many items there are in all (before limit/offset)")
    limit: int
    offset: int
