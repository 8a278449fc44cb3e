"""The accessibility bus of an X11 desktop, spoken to with jeepney (pure Python D-Bus): where it is, and
many calls sent at once with one deadline for all their replies.

Guaranteed: `calls` never waits past its deadline, whatever the applications do (a stopped one simply
doesn't answer); a reply that comes after its deadline is dropped when it arrives, never mistaken for
the answer to a later call. Not guaranteed: that an application answering in time tells the truth.
"""
from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from jeepney import DBusAddress, HeaderFields, MessageType, new_method_call
from jeepney.io.blocking import DBusConnection, open_dbus_connection

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
            message = new_method_call(DBusAddress(call.path, bus_name=call.bus, interface=call.interface),
                                      call.method, call.signature, call.args)
            serial = next(self._connection.outgoing_serial)
            data.append(message.serialise(serial=serial))
            serials[serial] = index
        try:
            self._connection.sock.sendall(b"".join(data))  # one write for all: a syscall each cost more
        except OSError as exc:
            raise BusGone(str(exc)) from exc
        replies: list[Any] = [None] * len(calls)
        last = time.monotonic()
        while serials:
            now = time.monotonic()
            remaining = deadline - now if silence_s is None else min(deadline - now, last + silence_s - now)
            if remaining <= 0:
                break
            try:
                message = self._connection.receive(timeout=remaining)
            except TimeoutError:
                break
            except (OSError, EOFError) as exc:
                raise BusGone(str(exc)) from exc
            index = serials.pop(message.header.fields.get(HeaderFields.reply_serial, -1), -1)
            if index >= 0:  # else a signal, or a reply that came after its deadline
                last = time.monotonic()
                replies[index] = (message.body if message.header.message_type is MessageType.method_return
                                  else ERROR)
        return replies

    def call(self, call: Call, *, deadline: float) -> Any:
        return self.calls([call], deadline=deadline)[0]

    def close(self) -> None:
        self._connection.close()
