"""How messages reach `receive()` and how sends wait: the edges of the fast paths.

A message arriving while `receive()` waits is handed to it directly; these tests pin
that nothing is lost or reordered at the edges (a receive cancelled just as its
message arrived, a close in between, data after our CLOSE), that ``async for`` honours
a subclass's `receive()`, and that `send_str` waits while the peer does not read.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from websocket_helpers import Handler, RawPeer, raw_client, serve_ws

from heron import WSMessage, WSMsgType, web

TEXT, CLOSE, CLOSED = WSMsgType.TEXT, WSMsgType.CLOSE, WSMsgType.CLOSED


@asynccontextmanager
async def raw_peer(handler: Handler) -> AsyncIterator[RawPeer]:
    async with serve_ws(handler) as served:
        peer, _ = await raw_client(served)
        yield peer


# Bytes sent on loopback are read in the next loop iteration, after the callbacks
# already scheduled; the tasks that read wakes run in the iteration after that.


def just_before_next_read(callback: Any) -> None:
    """Run `callback` in the next iteration, before the socket is read."""
    asyncio.get_running_loop().call_soon(callback)


def just_after_next_read(callback: Any) -> None:
    """Run `callback` after the next iteration's read, before the tasks it wakes."""
    loop = asyncio.get_running_loop()
    loop.call_soon(loop.call_soon, callback)


async def test_a_receive_cancelled_as_its_message_arrives_loses_nothing() -> None:
    seen: list[Any] = []
    peer_box: list[RawPeer] = []
    peer_ready = asyncio.Event()

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await peer_ready.wait()
        receiving = asyncio.create_task(ws.receive())
        await asyncio.sleep(0)  # it waits for a message now
        peer_box[0].send_frame(TEXT, b"kept")
        just_after_next_read(receiving.cancel)  # after the message was handed over
        try:
            await receiving
        except asyncio.CancelledError:
            seen.append("cancelled")
        msg = await ws.receive(timeout=2)
        seen.append((msg.type, msg.data))
        await ws.close()
        return ws

    async with raw_peer(handler) as peer:
        peer_box.append(peer)
        peer_ready.set()
        assert (await peer.receive()).type == CLOSE
        peer.send_close()
        await peer.close()
    assert seen == ["cancelled", (TEXT, "kept")]


async def test_a_close_while_a_message_is_handed_over_drops_it() -> None:
    seen: list[Any] = []
    peer_box: list[RawPeer] = []
    peer_ready = asyncio.Event()

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await peer_ready.wait()
        receiving = asyncio.create_task(ws.receive())
        await asyncio.sleep(0)
        peer_box[0].send_frame(TEXT, b"dropped")
        closing: list[asyncio.Task[bool]] = []
        # close() starts after the read hands the message over, before receive() wakes.
        just_before_next_read(lambda: closing.append(asyncio.create_task(ws.close())))
        # Like messages still in the inbox, the one on its way to receive() is dropped:
        # who closes is done reading.
        msg = await receiving
        seen.append(msg.type)
        seen.append(await closing[0])
        return ws

    async with raw_peer(handler) as peer:
        peer_box.append(peer)
        peer_ready.set()
        assert (await peer.receive()).type == CLOSE
        peer.send_close()
        assert await peer.at_eof()
        await peer.close()
    assert seen == [CLOSED, True]


async def test_data_after_our_close_is_ignored() -> None:
    seen: list[Any] = []

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        seen.append(await ws.close(code=4000))
        seen.append((ws.close_code, (await ws.receive()).type))
        return ws

    async with raw_peer(handler) as peer:
        msg = await peer.receive()
        assert (msg.type, msg.data) == (CLOSE, 4000)
        peer.send_frame(TEXT, b"too late")
        await asyncio.sleep(0.05)  # read on its own, not with the CLOSE behind it
        peer.send_close(4000)
        assert await peer.at_eof()
        await peer.close()
    assert seen == [True, (4000, CLOSED)]


async def test_unread_messages_pause_reading_and_all_arrive_in_order() -> None:
    count, size = 200, 1024  # 200 KiB unread: well over the inbox limit
    seen: list[str] = []
    sent = asyncio.Event()

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await sent.wait()
        await asyncio.sleep(0.05)  # the peer's bytes have arrived (as far as we read)
        for _ in range(count):
            msg = await ws.receive(timeout=2)
            seen.append(msg.data[:4])
        await ws.close()
        return ws

    async with raw_peer(handler) as peer:
        for i in range(count):
            peer.send_frame(TEXT, f"{i:04d}".encode() + b"x" * (size - 4))
        await peer.writer.drain()
        sent.set()
        assert (await peer.receive()).type == CLOSE
        peer.send_close()
        await peer.close()
    assert seen == [f"{i:04d}" for i in range(count)]


async def test_async_for_uses_an_overridden_receive() -> None:
    calls: list[WSMsgType] = []

    class Recording(web.WebSocketResponse):
        async def receive(self, timeout: float | None = None) -> WSMessage:
            msg = await super().receive(timeout)
            calls.append(msg.type)
            return msg

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = Recording()
        await ws.prepare(request)
        async for msg in ws:
            await ws.send_str(msg.data.upper())
        return ws

    async with raw_peer(handler) as peer:
        for word in (b"one", b"two"):
            peer.send_frame(TEXT, word)
            assert (await peer.receive()).data == word.decode().upper()
        peer.send_close()
        assert (await peer.receive()).type == CLOSE
        await peer.close()
    assert calls == [TEXT, TEXT, CLOSE]


async def test_send_str_waits_while_the_peer_does_not_read() -> None:
    count, chunk = 300, "x" * 65536
    state: dict[str, Any] = {}
    blocked = asyncio.Event()

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)

        async def pump() -> None:
            for _ in range(count):
                await ws.send_str(chunk)

        task = asyncio.create_task(pump())
        try:
            await asyncio.wait_for(asyncio.shield(task), 0.3)
            state["blocked"] = False  # all of it fitted in the buffers: nothing shown
        except TimeoutError:
            state["blocked"] = True
        blocked.set()
        await task  # finishes once the peer reads
        state["done"] = True
        await ws.close()
        return ws

    async with raw_peer(handler) as peer:
        await asyncio.wait_for(blocked.wait(), 5)
        received = 0
        while received < count:
            msg = await peer.receive(timeout=5)
            assert (msg.type, len(msg.data)) == (TEXT, len(chunk))
            received += 1
        assert (await peer.receive()).type == CLOSE
        peer.send_close()
        await peer.close()
    assert state == {"blocked": True, "done": True}


# -- receive timeouts: one timer, moved lazily -------------------------------------------


async def test_receive_timeout_counts_from_each_receive() -> None:
    seen: list[Any] = []

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(receive_timeout=0.25)
        await ws.prepare(request)
        loop = asyncio.get_running_loop()
        # Messages 0.1 s apart for 0.5 s: no receive() waits 0.25 s, none times out.
        for _ in range(5):
            seen.append((await ws.receive()).data)
        start = loop.time()
        try:
            await ws.receive()
        except TimeoutError:
            seen.append(0.2 <= loop.time() - start < 0.34)  # 0.25 s after this receive()
        seen.append((await ws.receive()).data)  # the socket is still usable
        await ws.close()
        return ws

    async with raw_peer(handler) as peer:
        for i in range(5):
            peer.send_frame(TEXT, str(i).encode())
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.35)
        peer.send_frame(TEXT, b"after")
        assert (await peer.receive()).type == CLOSE
        peer.send_close()
        await peer.close()
    assert seen == ["0", "1", "2", "3", "4", True, "after"]


async def test_a_shorter_timeout_wins_over_a_pending_longer_one() -> None:
    seen: list[Any] = []

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(receive_timeout=30)
        await ws.prepare(request)
        seen.append((await ws.receive()).data)  # sets the 30 s timer
        loop = asyncio.get_running_loop()
        start = loop.time()
        try:
            await ws.receive(timeout=0.05)
        except TimeoutError:
            seen.append(loop.time() - start < 0.2)  # not 30 s
        await asyncio.sleep(0.1)  # a lapsed timer is harmless
        seen.append((await ws.receive()).data)
        await ws.close()
        return ws

    async with raw_peer(handler) as peer:
        peer.send_frame(TEXT, b"first")
        await asyncio.sleep(0.3)
        peer.send_frame(TEXT, b"second")
        assert (await peer.receive()).type == CLOSE
        peer.send_close()
        await peer.close()
    assert seen == ["first", True, "second"]


async def test_a_timer_nobody_waits_for_lapses() -> None:
    seen: list[Any] = []

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(receive_timeout=0.05)
        await ws.prepare(request)
        seen.append((await ws.receive()).data)
        await asyncio.sleep(0.15)  # the timer fires while nobody receives
        seen.append((await ws.receive()).data)  # already there: no wait, no timeout
        await ws.close()
        return ws

    async with raw_peer(handler) as peer:
        peer.send_frame(TEXT, b"one")
        await asyncio.sleep(0.05)
        peer.send_frame(TEXT, b"two")
        assert (await peer.receive()).type == CLOSE
        peer.send_close()
        await peer.close()
    assert seen == ["one", "two"]
