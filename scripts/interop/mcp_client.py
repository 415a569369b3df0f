#!/usr/bin/env python3
"""An AI assistant's side of /mcp, written with the official MCP Python SDK
(PyPI `mcp`): it lists the tools, finds a room, books it with an idempotency
key, meets the structured conflict on a second try, retries with the same
key without booking twice, reads the resources, and is refused a booking
with a read-only token.

usage: mcp_client.py URL READ_WRITE_TOKEN READ_ONLY_TOKEN START END
Prints one JSON object with what it saw; exits non-zero on a failed check.
"""

import asyncio
import json
import sys

from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

URL, TOKEN, READ_ONLY, START, END = sys.argv[1:6]


def check(cond, what):
    if not cond:
        print(f"FAIL {what}", file=sys.stderr)
        sys.exit(1)


async def session_for(token, body):
    http = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})
    async with http:
        async with streamable_http_client(URL, http_client=http, terminate_on_close=False) as streams:
            read, write = streams[0], streams[1]
            async with ClientSession(read, write) as session:
                init = await session.initialize()
                return await body(session, init)


async def main():
    seen = {}

    async def as_writer(s, init):
        seen["server"] = init.server_info.name
        seen["protocol"] = init.protocol_version
        tools = await s.list_tools()
        names = sorted(t.name for t in tools.tools)
        seen["tools"] = names
        for want in ["book", "book_series", "cancel_booking", "check_in", "find_rooms",
                     "join_waitlist", "my_bookings", "room_availability"]:
            check(want in names, f"tool {want} listed")

        by_length = await s.call_tool("find_rooms", {"start": START, "duration_minutes": 60, "attendees": 3})
        check(not by_length.is_error, f"find_rooms by duration: {by_length.content}")
        found = await s.call_tool("find_rooms", {"start": START, "end": END, "attendees": 3})
        check(found.structured_content == by_length.structured_content, "a duration is the same as an end")
        check(not found.is_error, f"find_rooms: {found.content}")
        rooms = found.structured_content["rooms"]
        check(len(rooms) >= 2, "two rooms free")
        room = rooms[0]["room"]["id"]
        seen["room"] = room

        args = {"room_id": room, "title": "Assistant's sync", "attendees": 3,
                "start": START, "end": END, "idempotency_key": "sync-1"}
        first = await s.call_tool("book", args)
        check(not first.is_error, f"book: {first.content}")
        booking = first.structured_content["booking"]
        seen["booking"] = booking["id"]

        # The same slot again, without the key: refused, with the reason.
        clash = await s.call_tool("book", {k: v for k, v in args.items() if k != "idempotency_key"})
        check(clash.is_error, "a taken slot is refused")
        err = clash.structured_content["error"]
        seen["conflict"] = err
        check(err["status"] == 409 and err["rule"] == "no_overlap", f"conflict rule: {err}")
        check(err["conflict"]["booking_id"] == booking["id"], "names the booking in the way")
        alts = clash.structured_content.get("alternatives", [])
        check(any(a["room"]["id"] != room for a in alts), f"alternatives: {alts}")
        seen["alternatives"] = [a["room"]["name"] for a in alts]

        # A retry of the first call (same key): the same booking, not a new one.
        again = await s.call_tool("book", args)
        check(not again.is_error, f"retry: {again.content}")
        check(again.structured_content["booking"]["id"] == booking["id"], "retry books once")
        check(again.structured_content.get("replayed") is True, "retry says replayed")

        mine = await s.call_tool("my_bookings", {})
        ids = [b["id"] for b in mine.structured_content["bookings"]]
        check(ids.count(booking["id"]) == 1, "one booking in my list")

        bad = await s.call_tool("book", {"room_id": room, "title": "", "attendees": 3,
                                         "start": START, "end": END})
        check(bad.is_error and bad.structured_content["error"]["status"] == 400, "bad input named")

        resources = await s.list_resources()
        uris = sorted(str(r.uri) for r in resources.resources)
        check(uris == ["booking://bookings/mine", "booking://rooms"], f"resources {uris}")
        rooms_res = await s.read_resource("booking://rooms")
        listed = json.loads(rooms_res.contents[0].text)
        check(any(r["id"] == room for r in listed), "room list resource")
        seen["resources"] = uris

    async def as_reader(s, init):
        refused = await s.call_tool("book", {"room_id": seen["room"], "title": "x", "attendees": 1,
                                             "start": START, "end": END})
        check(refused.is_error and refused.structured_content["error"]["status"] == 403,
              f"read-only token may not book: {refused.content}")
        found = await s.call_tool("my_bookings", {})
        check(not found.is_error, "read-only token may read")

    await session_for(TOKEN, as_writer)
    await session_for(READ_ONLY, as_reader)
    print(json.dumps(seen))


asyncio.run(main())
