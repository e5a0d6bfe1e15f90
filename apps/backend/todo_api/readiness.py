"""The readiness check's own way to the database: a one-connection engine and one thread, apart
from the database threads and pools that serve requests. A burst of traffic fills those queues;
if /readyz waited in them, every replica would fail its probe at once and leave the Service, so
the burst would meet no replica at all. Here the probe waits only for the database itself, at
most READINESS_TIMEOUT_SECONDS."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine, text

from todo_api.db import create_db_engine


class ReadinessProbe:
    def __init__(self, database_url: str, timeout: float) -> None:
        self.timeout = timeout
        self._engine: Engine = create_db_engine(
            database_url, pool_size=1, max_overflow=0, pool_timeout=timeout
        )
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="readyz")

    def _select_one(self) -> None:
        with self._engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    async def check(self) -> None:
        """Returns when the database answers SELECT 1; raises (TimeoutError after `timeout`) if not."""
        future = asyncio.get_running_loop().run_in_executor(self._thread, self._select_one)
        await asyncio.wait_for(asyncio.shield(future), self.timeout)

    def close(self) -> None:
        self._thread.shutdown(wait=False, cancel_futures=True)
        self._engine.dispose()
