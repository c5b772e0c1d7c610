#!/usr/bin/env python3
"""Relay one rtnetlink link request on this host and print the kernel's replies.

Runs on the host whose NIC is configured (python3 standard library only, root for
RTM_SETLINK). The Robot process builds the request with pyroute2 and decodes the replies;
this relay only carries bytes: it takes the request base64-encoded as its one argument,
sends it on an AF_NETLINK/NETLINK_ROUTE socket, reads until the kernel's ACK or error for
that request, and prints all reply bytes base64-encoded on one line.

Only link requests (RTM_GETLINK, RTM_SETLINK) are relayed; anything else is refused, so the
relay cannot be turned into a general netlink tool. Exit status 2 means the request was
refused here; netlink errors are in the printed replies, for the caller to explain.

    python3 nlrelay.py EAAAABMABQABAAAAAAAAAA...
"""

from __future__ import annotations

import base64
import binascii
import socket
import struct
import sys

NETLINK_ROUTE = 0
SOL_NETLINK = 270
NETLINK_CAP_ACK = 10
NETLINK_EXT_ACK = 11
NLMSG_ERROR = 2
NLMSG_DONE = 3
RTM_GETLINK = 18
RTM_SETLINK = 19
HEADER = struct.Struct("=LHHLL")
TIMEOUT = 10.0
MAX_REQUEST = 65536


def refuse(message: str) -> None:
    print(f"nlrelay: {message}", file=sys.stderr)
    sys.exit(2)


def check_request(request: bytes) -> int:
    """Validate the request's netlink header; return its sequence number."""
    if len(request) < HEADER.size or len(request) > MAX_REQUEST:
        refuse(f"request of {len(request)} bytes is not one netlink message")
    length, kind, _flags, seq, _pid = HEADER.unpack_from(request)
    if length != len(request):
        refuse(f"header length {length} does not match the {len(request)} bytes received")
    if kind not in (RTM_GETLINK, RTM_SETLINK):
        refuse(f"message type {kind} is not RTM_GETLINK or RTM_SETLINK")
    return seq


def finished(data: bytes, seq: int) -> bool:
    """True when ``data`` holds the ACK/error or the end of dump for request ``seq``."""
    offset = 0
    while offset + HEADER.size <= len(data):
        length, kind, _flags, got, _pid = HEADER.unpack_from(data, offset)
        if length < HEADER.size:
            return True  # malformed: stop reading, the caller reports it
        if got == seq and kind in (NLMSG_ERROR, NLMSG_DONE):
            return True
        offset += (length + 3) & ~3
    return False


def relay(request: bytes) -> bytes:
    seq = check_request(request)
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_ROUTE) as sock:
        for option in (NETLINK_EXT_ACK, NETLINK_CAP_ACK):
            try:
                sock.setsockopt(SOL_NETLINK, option, 1)
            except OSError:
                pass  # older kernels: plain errors without the explanation text
        sock.bind((0, 0))
        sock.settimeout(TIMEOUT)
        sock.sendto(request, (0, 0))
        replies = bytearray()
        while True:
            data = sock.recv(1 << 20)
            replies += data
            if not data or finished(data, seq):
                return bytes(replies)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        refuse("usage: nlrelay.py BASE64-REQUEST")
    try:
        request = base64.b64decode(argv[0], validate=True)
    except (binascii.Error, ValueError):
        refuse("the request is not base64")
    try:
        replies = relay(request)
    except OSError as err:
        print(f"nlrelay: netlink socket: {err}", file=sys.stderr)
        return 1
    print(base64.b64encode(replies).decode())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
