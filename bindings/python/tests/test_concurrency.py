"""Threads and asyncio tasks racing for one slot: exactly one wins."""

from __future__ import annotations

import asyncio
import threading

import booking
import booking.aio
from conftest import World, at

RACERS = 16


def test_threads_racing_for_a_slot_get_exactly_one_booking(world: World) -> None:
    people = [world.svc.create_user(f"racer{i}@example.com", f"Racer {i}") for i in range(RACERS)]
    barrier = threading.Barrier(RACERS)
    won: list[str] = []
    lost: list[str] = []

    def race(who: booking.User) -> None:
        barrier.wait()
        try:
            won.append(world.svc.book(who, world.room.id, "Race", at(8, 10), at(8, 11)).id)
        except booking.ConflictError as e:
            lost.append(e.booking_id)

    threads = [threading.Thread(target=race, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 1 and len(lost) == RACERS - 1
    assert set(lost) == set(won), "every loser is told who won"
    assert len(world.svc.list_bookings(room_id=world.room.id)) == 1


def test_asyncio_tasks_racing_for_a_slot_get_exactly_one_booking(world: World) -> None:
    async def main() -> tuple[int, int]:
        svc = booking.aio.AsyncService(world.svc)
        people = [await svc.create_user(f"task{i}@example.com", f"Task {i}") for i in range(8)]
        results = await asyncio.gather(
            *(svc.book(p, world.room.id, "Race", at(9, 10), at(9, 11)) for p in people),
            return_exceptions=True,
        )
        wins = sum(isinstance(r, booking.Booking) for r in results)
        conflicts = sum(isinstance(r, booking.ConflictError) for r in results)
        room = await svc.get_room(world.room.id)
        assert room.name == "Huddle"
        return wins, conflicts

    assert asyncio.run(main()) == (1, 7)
