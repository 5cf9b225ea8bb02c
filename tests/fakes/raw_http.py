"""HTTP requests with header bytes exactly as given (clients re-encode them)."""

from __future__ import annotations

import asyncio


async def raw_post(base: str, path: str, headers: dict[str, bytes], body: bytes = b"{}") -> int:
    """POST with header bytes as given (aiohttp's client would re-encode them)."""
    host, port = base.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    lines = [f"POST {path} HTTP/1.1".encode(), f"Host: {host}".encode()]
    lines += [name.encode() + b": " + value for name, value in headers.items()]
    lines += [b"Content-Type: application/json", f"Content-Length: {len(body)}".encode()]
    writer.write(b"\r\n".join([*lines, b"Connection: close", b"", body]))
    await writer.drain()
    status = int((await reader.readline()).split()[1])
    writer.close()
    return status
