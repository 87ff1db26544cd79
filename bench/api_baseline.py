"""The raw baseline of bench/api.py: the least a FastAPI service can do per request.

``POST /items`` validates a body shaped like a lead capture and does one INSERT (its own
transaction, autocommit) through an async psycopg pool; ``POST /validate`` does the same
without the INSERT (the floor: what the HTTP layer alone costs); ``GET /items/{id}`` is one plain
SELECT by primary key and a JSON decode. Served by uvicorn exactly as sfa-core is:
``uvicorn bench.api_baseline:create_app --factory --workers 2`` with
``BENCH_DATABASE_URL`` naming the PostgreSQL database.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import orjson
from fastapi import FastAPI, HTTPException
from psycopg_pool import AsyncConnectionPool
from pydantic import BaseModel, EmailStr, Field

TABLE = """CREATE TABLE IF NOT EXISTS bench_items (
    id bigserial PRIMARY KEY, topic text NOT NULL, state bytea NOT NULL)"""


class ItemCreate(BaseModel):
    person: str = Field(min_length=1, max_length=200)
    company: str = Field(min_length=1, max_length=200)
    email: EmailStr
    phone: str | None = Field(default=None, max_length=40)
    channel: str = Field(min_length=1, max_length=40)
    region: str | None = Field(default=None, max_length=100)


class ItemCreated(BaseModel):
    id: int


def create_app() -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = AsyncConnectionPool(os.environ["BENCH_DATABASE_URL"], min_size=5, max_size=15,
                                   kwargs={"autocommit": True}, open=False)
        await pool.open()
        app.state.pool = pool
        yield
        await pool.close()

    app = FastAPI(lifespan=lifespan)

    @app.post("/items", status_code=201)
    async def create_item(body: ItemCreate) -> ItemCreated:
        state = orjson.dumps({"data": body.model_dump(), "schema_version": 1})
        async with app.state.pool.connection() as conn:
            cursor = await conn.execute(
                "INSERT INTO bench_items (topic, state) VALUES (%s, %s) RETURNING id",
                ("ItemCreated", state))
            row = await cursor.fetchone()
        return ItemCreated(id=row[0])

    @app.post("/validate", status_code=201)
    async def validate_only(body: ItemCreate) -> ItemCreated:
        """The floor: what uvicorn and FastAPI cost for a body like ours, with no database."""
        orjson.dumps({"data": body.model_dump(), "schema_version": 1})
        return ItemCreated(id=0)

    @app.get("/items/{item_id}")
    async def read_item(item_id: int) -> dict[str, object]:
        async with app.state.pool.connection() as conn:
            cursor = await conn.execute("SELECT state FROM bench_items WHERE id = %s", (item_id,))
            row = await cursor.fetchone()
        if row is None:
            raise HTTPException(404, "not found")
        found: dict[str, object] = orjson.loads(row[0])
        return found

    return app
