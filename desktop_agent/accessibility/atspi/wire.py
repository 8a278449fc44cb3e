"""D-Bus messages to and from bytes, for the few shapes the accessibility sense sends and the many
replies and signals it reads. jeepney authenticates the connection; a tree read sends thousands of
small calls, and jeepney's general-purpose marshalling cost more CPU than the applications took to
answer them (measured: 90 ms of a 120 ms read of a GTK file chooser).

Values decode as jeepney's do (a body is a tuple of arguments, an array a list, a dict a dict, a struct
a tuple, a variant a (signature, value) pair), so callers see no difference. Little-endian messages
only are decoded here; a big-endian one (no sender on this machine writes one) goes to jeepney.
"""
from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jeepney.low_level import HeaderFields
from jeepney.low_level import Message as JeepneyMessage

METHOD_CALL, METHOD_RETURN, ERROR, SIGNAL = 1, 2, 3, 4
_PATH, _INTERFACE, _MEMBER, _ERROR_NAME, _REPLY_SERIAL, _DESTINATION, _SENDER, _SIGNATURE = range(1, 9)
_FIXED = struct.Struct("<4xIII")   # body length, serial, header fields' length
_U32 = struct.Struct("<I")


@dataclass(frozen=True, slots=True)
class Incoming:
    """A message read from the bus: a reply (to `reply_serial`), an error or a signal."""

    kind: int
    body: tuple[Any, ...]
    reply_serial: int = -1
    sender: str = ""
    path: str = ""
    interface: str = ""
    member: str = ""


def encode_call(*, destination: str, path: str, interface: str, member: str, signature: str | None,
                args: tuple[Any, ...], serial: int) -> bytes:
    """A method call's bytes. Arguments may be strings (s, o), unsigned or signed 32-bit integers
    (u, i) and booleans (b)."""
    body = bytearray()
    for kind, arg in zip(signature or "", args, strict=True):
        _encode_basic(body, kind, arg)
    fields = bytearray()
    for code, kind, value in ((_PATH, "o", path), (_INTERFACE, "s", interface), (_MEMBER, "s", member),
                              (_DESTINATION, "s", destination), (_SIGNATURE, "g", signature)):
        if value:
            fields += bytes(-len(fields) % 8)
            fields += bytes((code, 1, ord(kind), 0))
            _encode_basic(fields, kind, value)
    header = struct.pack("<cBBBIII", b"l", METHOD_CALL, 0, 1, len(body), serial, len(fields)) + fields
    return bytes(header + bytes(-len(header) % 8) + body)


def _encode_basic(out: bytearray, code: str, value: Any) -> None:
    """Appends one argument to `out`, whose start is 8-aligned in its message (fields, body)."""
    if code == "g":
        data = value.encode("ascii")
        out += bytes((len(data),)) + data + b"\0"
        return
    out += bytes(-len(out) % 4)
    if code in "so":
        data = value.encode("utf-8")
        out += _U32.pack(len(data)) + data + b"\0"
    elif code in "ub":
        out += _U32.pack(int(value))
    elif code == "i":
        out += struct.pack("<i", value)
    else:
        raise ValueError(f"cannot encode a D-Bus argument of type {code!r}")


def message_length(buffer: bytes | bytearray, start: int) -> int | None:
    """The length of the message that starts at `start`, once its first 16 bytes are in; else None."""
    if len(buffer) - start < 16:
        return None
    endian = "<" if buffer[start] == ord("l") else ">"
    body, _serial, fields = struct.unpack_from(endian + "4xIII", buffer, start)
    return 16 + fields + (-fields % 8) + body


def decode(message: bytes) -> Incoming:
    """One whole message (as `message_length` delimits it)."""
    if message[0] != ord("l"):
        return _from_jeepney(JeepneyMessage.from_buffer(message))
    kind = message[1]
    _body_length, _serial, fields_length = _FIXED.unpack_from(message, 0)
    fields: dict[int, Any] = {}
    pos, end = 16, 16 + fields_length
    while pos < end:
        pos += -pos % 8
        code = message[pos]
        value, pos = _variant(message, pos + 1)
        fields[code] = value[1]
    pos += -pos % 8
    signature = fields.get(_SIGNATURE, "")
    body = _parser(f"({signature})")(message, pos)[0] if signature else ()
    return Incoming(kind=kind, body=body, reply_serial=int(fields.get(_REPLY_SERIAL, -1)),
                    sender=str(fields.get(_SENDER, "")), path=str(fields.get(_PATH, "")),
                    interface=str(fields.get(_INTERFACE, "")), member=str(fields.get(_MEMBER, "")))


def _from_jeepney(message: JeepneyMessage) -> Incoming:
    header = message.header
    get = header.fields.get
    return Incoming(kind=header.message_type.value, body=tuple(message.body),
                    reply_serial=int(get(HeaderFields.reply_serial, -1)), sender=str(get(HeaderFields.sender, "")),
                    path=str(get(HeaderFields.path, "")), interface=str(get(HeaderFields.interface, "")),
                    member=str(get(HeaderFields.member, "")))


_Parse = Callable[[bytes, int], tuple[Any, int]]
_FIXED_TYPES = {"y": ("<B", 1), "n": ("<h", 2), "q": ("<H", 2), "i": ("<i", 4), "u": ("<I", 4),
                "h": ("<I", 4), "x": ("<q", 8), "t": ("<Q", 8), "d": ("<d", 8)}
_PARSERS: dict[str, _Parse] = {}


def _parser(signature: str) -> _Parse:
    parse = _PARSERS.get(signature)
    if parse is None:
        parse, rest, _align = _compile(signature)
        if rest:
            raise ValueError(f"D-Bus signature {signature!r}: more than one complete type")
        _PARSERS[signature] = parse
    return parse


def _compile(signature: str) -> tuple[_Parse, str, int]:
    """The parser of the first complete type in `signature`, what follows it, and its alignment."""
    code, rest = signature[0], signature[1:]
    if code in _FIXED_TYPES:
        fmt, size = _FIXED_TYPES[code]
        unpack = struct.Struct(fmt).unpack_from

        def fixed(buffer: bytes, pos: int) -> tuple[Any, int]:
            pos += -pos % size
            return unpack(buffer, pos)[0], pos + size
        return fixed, rest, size
    if code == "b":
        return (lambda buffer, pos: _boolean(buffer, pos)), rest, 4
    if code in "so":
        return _string, rest, 4
    if code == "g":
        return _signature, rest, 1
    if code == "v":
        return _variant, rest, 1
    if code == "a":
        return _compile_array(rest)
    if code == "(":
        return _compile_struct(rest, ")")
    raise ValueError(f"unsupported D-Bus type {code!r}")


def _compile_array(signature: str) -> tuple[_Parse, str, int]:
    is_dict = signature.startswith("{")
    element, rest, align = _compile_struct(signature[1:], "}") if is_dict else _compile(signature)

    def array(buffer: bytes, pos: int) -> tuple[Any, int]:
        pos += -pos % 4
        (length,) = _U32.unpack_from(buffer, pos)
        pos += 4
        pos += -pos % align
        end = pos + length
        items = []
        while pos < end:
            item, pos = element(buffer, pos)
            items.append(item)
        return (dict(items) if is_dict else items), end
    return array, rest, 4


def _compile_struct(signature: str, closer: str) -> tuple[_Parse, str, int]:
    members: list[_Parse] = []
    while signature[0] != closer:
        parse, signature, _align = _compile(signature)
        members.append(parse)

    def record(buffer: bytes, pos: int) -> tuple[Any, int]:
        pos += -pos % 8
        values = []
        for parse in members:
            value, pos = parse(buffer, pos)
            values.append(value)
        return tuple(values), pos
    return record, signature[1:], 8


def _boolean(buffer: bytes, pos: int) -> tuple[bool, int]:
    pos += -pos % 4
    return bool(_U32.unpack_from(buffer, pos)[0]), pos + 4


def _string(buffer: bytes, pos: int) -> tuple[str, int]:
    pos += -pos % 4
    (length,) = _U32.unpack_from(buffer, pos)
    pos += 4
    return buffer[pos:pos + length].decode("utf-8", "replace"), pos + length + 1


def _signature(buffer: bytes, pos: int) -> tuple[str, int]:
    length = buffer[pos]
    return buffer[pos + 1:pos + 1 + length].decode("ascii"), pos + length + 2


def _variant(buffer: bytes, pos: int) -> tuple[tuple[str, Any], int]:
    signature, pos = _signature(buffer, pos)
    value, pos = _parser(signature)(buffer, pos)
    return (signature, value), pos
