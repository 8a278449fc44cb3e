"""The accessibility bus of an X11 desktop: where it is, and many calls sent at once with one deadline
for all their replies (jeepney, pure Python D-Bus, opens the connection; `wire` reads and writes it).

Guaranteed: `calls` never waits past its deadline, whatever the applications do (a stopped one simply
doesn't answer); a reply that comes after its deadline is dropped when it arrives, never mistaken for
the answer to a later call. Not guaranteed: that an application answering in time tells the truth.
"""
from __future__ import annotations

import os
import select
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from jeepney import DBusAddress, MessageType, new_method_call
from jeepney.io.blocking import DBusConnection, open_dbus_connection

from desktop_agent.accessibility.atspi import wire

REGISTRY = "org.a11y.atspi.Registry"
ROOT_PATH = "/org/a11y/atspi/accessible/root"
REGISTRY_PATH = "/org/a11y/atspi/registry"
ACCESSIBLE = "org.a11y.atspi.Accessible"


@dataclass(frozen=True, slots=True)
class Call:
    bus: str
    path: str
    interface: str
    method: str
    signature: str | None = None
    args: tuple[Any, ...] = ()


ERROR = object()  # a call's error reply (the object lacks that interface, the method failed)


class BusGone(Exception):
    """The accessibility bus closed the connection (its daemon ended)."""


def bus_address(display: str | None = None) -> str | None:
    """The accessibility bus of `display`: the root window's AT_SPI_BUS property (what GTK and Qt read
    first), else what `org.a11y.Bus` on the session bus says; None when there is neither."""
    address = _root_window_address(display)
    if address:
        return address
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return None
    try:
        session = open_dbus_connection("SESSION", auth_timeout=0.5)
    except (OSError, ValueError):
        return None
    try:
        reply = session.send_and_get_reply(new_method_call(
            DBusAddress("/org/a11y/bus", bus_name="org.a11y.Bus", interface="org.a11y.Bus"), "GetAddress"),
            timeout=0.5)
        body = reply.body if reply.header.message_type is MessageType.method_return else ()
        return str(body[0]) if body else None
    except (OSError, TimeoutError):
        return None
    finally:
        session.close()


def _root_window_address(display: str | None) -> str | None:
    from Xlib import X
    from Xlib import display as xdisplay
    from Xlib.error import DisplayError

    try:
        connection = xdisplay.Display(display)
    except (DisplayError, OSError):
        return None
    try:
        root = connection.screen().root
        prop = root.get_full_property(connection.intern_atom("AT_SPI_BUS"), X.AnyPropertyType)
        if prop is None or not prop.value:
            return None
        value = prop.value
        return (value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)).strip()
    finally:
        connection.close()


class AccessibilityBus:
    """One connection to the accessibility bus, used by one thread at a time."""

    def __init__(self, connection: DBusConnection) -> None:
        self._connection = connection
        self._socket = connection.sock
        pending = connection.parser.buf
        self._buffer = bytearray(pending.read(pending.bytes_buffered) if pending.bytes_buffered else b"")
        self._start = 0   # where the next unread message begins in `_buffer`
        self._signals: list[wire.Incoming] = []

    @classmethod
    def open(cls, address: str) -> AccessibilityBus:
        return cls(open_dbus_connection(address, auth_timeout=1.0))

    def calls(self, calls: Sequence[Call], *, deadline: float, silence_s: float | None = None) -> list[Any]:
        """Send every call, then collect the replies until `deadline` (time.monotonic()), or until no
        reply has come for `silence_s`: the body of each call's reply, `ERROR` for an error reply,
        None when none came in time."""
        serials: dict[int, int] = {}
        data = []
        for index, call in enumerate(calls):
            serial = next(self._connection.outgoing_serial)
            data.append(wire.encode_call(destination=call.bus, path=call.path, interface=call.interface,
                                         member=call.method, signature=call.signature, args=call.args,
                                         serial=serial))
            serials[serial] = index
        try:
            self._socket.sendall(b"".join(data))  # one write for all: a syscall each cost more
        except OSError as exc:
            raise BusGone(str(exc)) from exc
        replies: list[Any] = [None] * len(calls)
        last = time.monotonic()
        while serials:
            now = time.monotonic()
            remaining = deadline - now if silence_s is None else min(deadline - now, last + silence_s - now)
            if remaining <= 0:
                break
            message = self._receive(remaining)
            if message is None:
                break
            if message.kind == wire.SIGNAL:
                self._signals.append(message)
                continue
            index = serials.pop(message.reply_serial, -1)
            if index >= 0:  # else a reply that came after its deadline
                last = time.monotonic()
                replies[index] = message.body if message.kind == wire.METHOD_RETURN else ERROR
        return replies

    def call(self, call: Call, *, deadline: float) -> Any:
        return self.calls([call], deadline=deadline)[0]

    def signals(self) -> list[wire.Incoming]:
        """The signals received since the last time this was asked, including those waiting to be read."""
        while (message := self._receive(0.0)) is not None:
            if message.kind == wire.SIGNAL:
                self._signals.append(message)
        taken, self._signals = self._signals, []
        return taken

    def _receive(self, timeout_s: float) -> wire.Incoming | None:
        """The next whole message, or None when none is complete within `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        while True:
            length = wire.message_length(self._buffer, self._start)
            if length is not None and len(self._buffer) - self._start >= length:
                message = bytes(self._buffer[self._start:self._start + length])
                self._start += length
                if self._start == len(self._buffer) or self._start > 1 << 20:
                    del self._buffer[:self._start]
                    self._start = 0
                return wire.decode(message)
            try:
                readable, _, _ = select.select([self._socket], [], [], max(deadline - time.monotonic(), 0.0))
                if not readable:
                    return None
                data = self._socket.recv(1 << 16)
            except OSError as exc:
                raise BusGone(str(exc)) from exc
            if not data:
                raise BusGone("the accessibility bus closed the connection")
            self._buffer += data

    def close(self) -> None:
        self._connection.close()
