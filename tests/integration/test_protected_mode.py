#!/usr/bin/env python3
"""protected-mode seen from a client that is not on loopback.

The test makes its own network namespace joined to the host by a veth pair with addresses
10.231.N.1 (host side) and 10.231.N.2 (namespace side), starts ember-server bound to both
127.0.0.1 and 10.231.N.1, and connects from inside the namespace. All traffic stays between
the test's own endpoints. Needs root and iproute2; otherwise the test reports SKIP and passes.

Usage: test_protected_mode.py EMBER_BINARY
"""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Server  # noqa: E402

BIN = os.path.abspath(sys.argv[1])
TAG = str(os.getpid() % 200 + 20)
NS, HOST_IF, NS_IF = f"ember-pm{TAG}", f"vem{TAG}h", f"vem{TAG}n"
HOST_IP, NS_IP = f"10.231.{TAG}.1", f"10.231.{TAG}.2"

CLIENT = """
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
s.sendall(b"PING\\r\\n")
data = b""
while not data.endswith(b"\\r\\n"):
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
sys.stdout.write(data.decode())
"""


def sh(*cmd):
    subprocess.run(cmd, check=True, capture_output=True, timeout=20)


def setup():
    sh("ip", "netns", "add", NS)
    sh("ip", "link", "add", HOST_IF, "type", "veth", "peer", "name", NS_IF)
    sh("ip", "link", "set", NS_IF, "netns", NS)
    sh("ip", "addr", "add", f"{HOST_IP}/30", "dev", HOST_IF)
    sh("ip", "link", "set", HOST_IF, "up")
    sh("ip", "netns", "exec", NS, "ip", "addr", "add", f"{NS_IP}/30", "dev", NS_IF)
    sh("ip", "netns", "exec", NS, "ip", "link", "set", NS_IF, "up")
    sh("ip", "netns", "exec", NS, "ip", "link", "set", "lo", "up")


def teardown():
    subprocess.run(["ip", "link", "del", HOST_IF], capture_output=True, timeout=20)
    subprocess.run(["ip", "netns", "del", NS], capture_output=True, timeout=20)


def ping_from_namespace(port):
    p = subprocess.run(["ip", "netns", "exec", NS, sys.executable, "-c", CLIENT, HOST_IP,
                        str(port)], capture_output=True, text=True, timeout=20)
    return p.stdout + p.stderr


def main():
    if os.geteuid() != 0 or shutil.which("ip") is None:
        print("test_protected_mode: SKIP (needs root and iproute2)")
        return 0
    try:
        setup()
    except (subprocess.CalledProcessError, OSError) as e:
        teardown()
        print(f"test_protected_mode: SKIP (cannot create a network namespace: {e})")
        return 0
    failures = 0
    try:
        bind = ["--bind", "127.0.0.1", HOST_IP]
        with Server(BIN, bind, name="ember-protected") as s:
            reply = ping_from_namespace(s.port)
            ok = reply.startswith("-DENIED Redis is running in protected mode")
            print(("ok   " if ok else "FAIL ") + "remote client refused in protected mode", reply[:80])
            failures += not ok
            local = s.connect().call("PING")
            ok = local == b"+PONG\r\n"
            print(("ok   " if ok else "FAIL ") + "loopback client served in protected mode")
            failures += not ok
        with Server(BIN, bind + ["--requirepass", "s3cret"], name="ember-protected-pass") as s:
            reply = ping_from_namespace(s.port)
            ok = reply.startswith("-NOAUTH")
            print(("ok   " if ok else "FAIL ") + "with requirepass a remote client may AUTH", reply[:80])
            failures += not ok
        with Server(BIN, bind + ["--protected-mode", "no"], name="ember-unprotected") as s:
            reply = ping_from_namespace(s.port)
            ok = reply.startswith("+PONG")
            print(("ok   " if ok else "FAIL ") + "protected-mode no serves remote clients", repr(reply[:80]))
            failures += not ok
    finally:
        teardown()
    print(f"test_protected_mode: {4 - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
