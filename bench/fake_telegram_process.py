"""Run the fake Bot API in its own process (as Telegram's servers are), for benchmarks.

``python bench/fake_telegram_process.py TOKEN PER_SECOND STATS_FILE`` prints its base URL on
the first line of stdout, serves until SIGTERM, then writes what it saw to STATS_FILE as JSON:
``{"sent": {chat_id: count}, "rate_limited": n}``.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fakes.telegram_api import FakeBotAPI


async def serve(token: str, per_second: int) -> dict[str, object]:
    """Serve until SIGTERM; what was sent and how often the limit was hit."""
    fake = FakeBotAPI(token, per_second=per_second)
    await fake.start()
    print(fake.base_url, flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await fake.stop()
    return {"sent": Counter(str(m.chat_id) for m in fake.sent), "rate_limited": fake.rate_limited}


if __name__ == "__main__":
    seen = asyncio.run(serve(sys.argv[1], int(sys.argv[2])))
    Path(sys.argv[3]).write_text(json.dumps(seen), encoding="utf-8")
