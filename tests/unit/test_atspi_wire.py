"""The accessibility sense's own D-Bus codec says exactly what jeepney (the reference) says."""
from __future__ import annotations

import pytest
from jeepney import DBusAddress, new_method_call, new_method_return, new_signal
from jeepney.low_level import Endianness, Header, HeaderFields, Message, MessageType

from desktop_agent.accessibility.atspi import wire

CALLS = [
    ("org.a11y.atspi.Registry", "/org/a11y/atspi/accessible/root", "org.a11y.atspi.Accessible", "GetChildren",
     None, ()),
    (":1.42", "/org/a11y/atspi/accessible/17", "org.freedesktop.DBus.Properties", "Get", "ss",
     ("org.a11y.atspi.Accessible", "Name")),
    (":1.7", "/org/a11y/atspi/accessible/2147483649", "org.a11y.atspi.Component", "GetExtents", "u", (0,)),
    (":1.7", "/p", "org.a11y.atspi.Text", "GetText", "ii", (0, -1)),
    (":1.7", "/p", "org.a11y.atspi.Action", "DoAction", "i", (3,)),
]


@pytest.mark.parametrize("destination,path,interface,member,signature,args", CALLS)
def test_a_call_is_the_bytes_jeepney_writes(destination, path, interface, member, signature, args):
    reference = new_method_call(DBusAddress(path, bus_name=destination, interface=interface), member,
                                signature, args).serialise(serial=1234)
    ours = wire.encode_call(destination=destination, path=path, interface=interface, member=member,
                            signature=signature, args=args, serial=1234)
    assert ours == reference
    assert wire.message_length(ours + b"trailing", 0) == len(ours)


def test_an_argument_it_cannot_write_is_refused_by_its_type():
    with pytest.raises(ValueError, match="'d'"):
        wire.encode_call(destination=":1.1", path="/p", interface="i.f", member="M", signature="d",
                         args=(1.5,), serial=1)


def _reply(signature: str, body: tuple, *, endianness: Endianness = Endianness.little) -> bytes:
    call = new_method_call(DBusAddress("/p", bus_name=":1.3", interface="x.y"), "M")
    call.header.serial = 77
    message = new_method_return(call, signature, body)
    message.header.endianness = endianness
    message.header.fields[HeaderFields.sender] = ":1.3"
    return message.serialise(serial=9)


BODIES = [
    ("u", (3,)),
    ("au", ([0x80000000, 0x12, 0],)),
    ("au", ([],)),
    ("v", (("s", "Save as…"),)),
    ("a(so)", ([(":1.3", "/org/a11y/atspi/accessible/1"), (":1.3", "/x")],)),
    ("(iiii)", ((10, -20, 300, 40),)),
    ("a(ua(so))", ([(15, [(":1.3", "/a"), (":1.3", "/b")]), (2, [])],)),
    ("a((so)(so)(so)iiassusau)", ([((":1.3", "/a"), (":1.3", "/root"), (":1.3", "/p"), 0, 3,
                                    ["org.a11y.atspi.Accessible", "org.a11y.atspi.Component"], "OK", 43, "",
                                    [1 << 10, 0])],)),
    ("a{sv}", ({"k": ("i", 5), "b": ("b", True), "d": ("d", 0.5)},)),
    ("ybnqxtd", (1, False, -2, 3, -(1 << 40), 1 << 50, 2.25)),
    ("sog", ("σ", "/o", "a{sv}")),
]


@pytest.mark.parametrize("signature,body", BODIES)
def test_a_reply_reads_as_jeepney_reads_it(signature, body):
    data = _reply(signature, body)
    reference = Message.from_buffer(data)
    ours = wire.decode(data)
    assert ours.body == tuple(reference.body)
    assert (ours.kind, ours.reply_serial, ours.sender) == (wire.METHOD_RETURN, 77, ":1.3")
    assert wire.message_length(data, 0) == len(data)


def test_a_big_endian_message_is_read_too():
    data = _reply("a(so)u", ([(":1.3", "/a")], 5), endianness=Endianness.big)
    assert wire.message_length(data, 0) == len(data)
    assert wire.decode(data).body == ([(":1.3", "/a")], 5)


def test_a_signal_says_where_it_came_from():
    signal = new_signal(DBusAddress("/org/a11y/atspi/accessible/9", interface="org.a11y.atspi.Event.Object"),
                        "StateChanged", "siiva{sv}", ("checked", 1, 0, ("i", 0), {}))
    signal.header.fields[HeaderFields.sender] = ":1.8"
    decoded = wire.decode(signal.serialise(serial=3))
    assert (decoded.kind, decoded.sender, decoded.path, decoded.interface, decoded.member) == (
        wire.SIGNAL, ":1.8", "/org/a11y/atspi/accessible/9", "org.a11y.atspi.Event.Object", "StateChanged")
    assert decoded.body == ("checked", 1, 0, ("i", 0), {})


def test_an_error_reply_is_an_error():
    call = new_method_call(DBusAddress("/p", bus_name=":1.3", interface="x.y"), "M")
    call.header.serial = 5
    error = Message(Header(Endianness.little, MessageType.error, 0, 1, 0, 0,
                           {HeaderFields.reply_serial: 5, HeaderFields.error_name: "org.x.Failed",
                            HeaderFields.signature: "s"}), ("no such interface",))
    decoded = wire.decode(error.serialise(serial=6))
    assert (decoded.kind, decoded.reply_serial, decoded.body) == (wire.ERROR, 5, ("no such interface",))
