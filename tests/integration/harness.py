"""Shared plumbing for Ember's integration tests.

Starts server binaries (ember-server or redis-server: both take `--port N` and other
redis.conf keys as `--key value`) on 127.0.0.1 with a private temp dir as cwd, waits for them
with bounded polls, stops them by PID only, and talks raw RESP over a socket.

The RESP reader frames one complete reply generically (RESP2 and RESP3 type bytes
+ - : $ * _ , # ! = ( % ~ > |) and hands back the exact bytes, so tests can compare servers
byte for byte. `parse_reply` additionally decodes the bytes into a small tree for the few
places that need to normalise a reply (KEYS order, TTL drift).
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

READY_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0
IO_TIMEOUT_S = 5.0
# The replication service listens on the client port + 10000 (DESIGN.md), so both must be free.
REPLICATION_PORT_OFFSET = 10000


class ProtocolError(Exception):
    """The bytes received are not valid RESP framing."""


class ConnectionClosed(Exception):
    """The peer closed the connection before a full reply arrived."""


# --------------------------------------------------------------------------------------------
# Ports and processes
# --------------------------------------------------------------------------------------------

def _port_is_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


_handed_out = set()


def free_port():
    """Returns a port that is free on 127.0.0.1 together with port + 10000.

    Never hands the same port out twice in one process. Bounded: 200 attempts.
    """
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port in _handed_out or port + REPLICATION_PORT_OFFSET > 65535:
            continue
        if not _port_is_free(port + REPLICATION_PORT_OFFSET):
            continue
        _handed_out.add(port)
        return port
    raise RuntimeError("no free port pair found after 200 attempts")


class Server:
    """One server process on 127.0.0.1:port, with its own temp dir as cwd.

    Use as a context manager, or call start() / stop(). `args` are extra command-line
    arguments (e.g. ["--requirepass", "s3cret"]). `port` and `workdir` may be given up front
    (a config file that names the port must be written before the start); otherwise the first
    start() picks a free port and makes a temp dir. kill9() / pause() / resume() act on the
    process by its PID; restart() starts the binary again on the same port and dir (the
    files the server wrote there, its log appended to).
    """

    def __init__(self, binary, args=(), name=None, config_file=None, port=None, workdir=None):
        self.binary = os.path.abspath(binary)
        self.args = list(args)
        self.config_file = config_file  # passed first, as `ember-server FILE --port N ...`
        self.name = name or os.path.basename(binary)
        self.port = port
        self.proc = None
        self.dir = workdir
        self._own_dir = workdir is None  # only a dir start() made is removed by stop()
        self._log = None

    # The process ------------------------------------------------------------------------------

    def start(self, timeout=READY_TIMEOUT_S):
        if not os.access(self.binary, os.X_OK):
            raise RuntimeError(f"{self.name}: binary not found or not executable: {self.binary}")
        if self.port is None:
            self.port = free_port()
        if self.dir is None:
            self.dir = tempfile.mkdtemp(prefix=f"ember-it-{self.name}-")
            self._own_dir = True
        self._log = open(os.path.join(self.dir, "server.log"), "ab")
        argv = [self.binary] + ([self.config_file] if self.config_file else [])
        argv += ["--port", str(self.port)] + self.args
        self.proc = subprocess.Popen(argv, cwd=self.dir, stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=subprocess.STDOUT)
        try:
            self._wait_ready(timeout)
        except Exception:
            self.stop()
            raise
        return self

    def _wait_ready(self, timeout):
        """Polls until the server answers PING (or any reply: +PONG or -NOAUTH)."""
        deadline = time.monotonic() + timeout
        last_err = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with code {self.proc.returncode} "
                                   f"during start-up; log:\n{self.log_tail()}")
            try:
                with RespConnection(self.port, timeout=0.5) as c:
                    reply = c.call("PING")
                    if reply.startswith((b"+PONG", b"-NOAUTH", b"-ERR")):
                        return
                    last_err = f"unexpected PING reply {reply!r}"
            except (OSError, ConnectionClosed, ProtocolError) as e:
                last_err = repr(e)
            time.sleep(0.05)  # poll interval of a bounded wait
        raise RuntimeError(f"{self.name} did not answer PING on port {self.port} within "
                           f"{timeout}s ({last_err}); log:\n{self.log_tail()}")

    def _end(self):
        """Ends the process we started, by its PID only: SIGCONT (a stopped process cannot
        act on SIGTERM), SIGTERM, then SIGKILL after a bounded wait."""
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGCONT)
                self.proc.send_signal(signal.SIGTERM)
                self.proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                try:
                    self.proc.wait(timeout=STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    pass
        if self._log is not None:
            self._log.close()
            self._log = None

    def stop(self):
        """Stops the process (see _end) and removes the temp dir start() made."""
        self._end()
        if (self.dir is not None and self._own_dir
                and os.environ.get("EMBER_IT_KEEP_DIRS") != "1"):
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def kill9(self):
        """SIGKILL to our process by its PID, then reaps it; port and dir stay for restart()."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=STOP_TIMEOUT_S)
        if self._log is not None:
            self._log.close()
            self._log = None

    def pause(self):
        """SIGSTOP to our process by its PID."""
        if self.alive():
            self.proc.send_signal(signal.SIGSTOP)

    def resume(self):
        """SIGCONT to our process by its PID."""
        if self.alive():
            self.proc.send_signal(signal.SIGCONT)

    def restart(self, args=None, timeout=READY_TIMEOUT_S):
        """Ends the process if it still runs, then starts the binary again on the same port
        and dir; `args` replaces the extra arguments when given."""
        self._end()
        if args is not None:
            self.args = list(args)
        return self.start(timeout)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, limit=4000):
        if self.dir is None:
            return ""
        try:
            with open(os.path.join(self.dir, "server.log"), "rb") as f:
                data = f.read()
        except OSError:
            return ""
        return data[-limit:].decode("utf-8", "replace")

    def connect(self, timeout=IO_TIMEOUT_S):
        return RespConnection(self.port, timeout=timeout)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


# --------------------------------------------------------------------------------------------
# RESP framing
# --------------------------------------------------------------------------------------------

_LINE_TYPES = b"+-:_,#("       # one line
_BULK_TYPES = b"$!="           # length, then that many bytes and CRLF
_AGG_TYPES = b"*~>"            # count, then that many replies
_PAIR_TYPES = b"%|"            # count, then 2 * count replies
MAX_DEPTH = 64


def encode_command(*args):
    """Encodes one command as a RESP multibulk array; args may be str, bytes or int."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            # Code points below 256 map to single bytes, so "\xff" is the byte 0xff.
            try:
                a = a.encode("latin-1")
            except UnicodeEncodeError:
                a = a.encode("utf-8")
        elif isinstance(a, int):
            a = str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def _line_end(buf, pos):
    end = buf.find(b"\r\n", pos)
    return None if end < 0 else end


def frame_end(buf, pos=0, depth=0):
    """Returns the offset just past the one complete reply starting at buf[pos], or None if
    buf does not yet hold the whole reply. Raises ProtocolError on bytes that are not RESP.

    An attribute (`|`) is a prefix of the reply it annotates, so it is consumed together with
    the reply that follows it.
    """
    if depth > MAX_DEPTH:
        raise ProtocolError("reply nested too deep")
    if pos >= len(buf):
        return None
    t = buf[pos:pos + 1]
    end = _line_end(buf, pos + 1)
    if end is None:
        return None
    header = buf[pos + 1:end]
    after = end + 2
    if t in (b"+", b"-", b":", b"_", b",", b"#", b"("):
        return after
    if t in (b"$", b"!", b"="):
        n = _int(header, t)
        if n < 0:
            if t != b"$" or n != -1:
                raise ProtocolError(f"bad length {header!r} for {t!r}")
            return after
        if len(buf) < after + n + 2:
            return None
        if buf[after + n:after + n + 2] != b"\r\n":
            raise ProtocolError("bulk payload not followed by CRLF")
        return after + n + 2
    if t in (b"*", b"~", b">", b"%", b"|"):
        n = _int(header, t)
        if n < 0:
            if t != b"*" or n != -1:
                raise ProtocolError(f"bad count {header!r} for {t!r}")
            return after
        items = n * 2 if t in (b"%", b"|") else n
        p = after
        for _ in range(items):
            p = frame_end(buf, p, depth + 1)
            if p is None:
                return None
        if t == b"|":
            return frame_end(buf, p, depth + 1)
        return p
    raise ProtocolError(f"unknown RESP type byte {t!r} at offset {pos}: {bytes(buf[pos:pos+40])!r}")


def _int(header, t):
    try:
        return int(header)
    except ValueError:
        raise ProtocolError(f"bad length/count {header!r} after {t!r}") from None


def parse_reply(data):
    """Decodes the bytes of one reply into (type_byte, value), where value is bytes for
    scalars, None for nulls, and a list of decoded children for aggregates (maps flattened
    as key, value, key, value ...). Attributes are dropped."""
    value, end = _parse(data, 0)
    if end != len(data):
        raise ProtocolError("trailing bytes after reply")
    return value


def _parse(buf, pos):
    t = buf[pos:pos + 1]
    end = buf.index(b"\r\n", pos + 1)
    header = bytes(buf[pos + 1:end])
    after = end + 2
    if t in (b"+", b"-", b":", b",", b"#", b"("):
        return (t, header), after
    if t == b"_":
        return (t, None), after
    if t in (b"$", b"!", b"="):
        n = int(header)
        if n < 0:
            return (t, None), after
        return (t, bytes(buf[after:after + n])), after + n + 2
    n = int(header)
    if n < 0:
        return (t, None), after
    items = n * 2 if t in (b"%", b"|") else n
    children = []
    p = after
    for _ in range(items):
        child, p = _parse(buf, p)
        children.append(child)
    if t == b"|":
        return _parse(buf, p)
    return (t, children), p


def encode_value(value):
    """Inverse of parse_reply, for replies rebuilt after normalisation."""
    t, v = value
    if t == b"_":
        return b"_\r\n"
    if v is None:
        return t + b"-1\r\n"
    if isinstance(v, list):
        n = len(v) // 2 if t in (b"%", b"|") else len(v)
        return t + str(n).encode() + b"\r\n" + b"".join(encode_value(c) for c in v)
    if t in (b"$", b"!", b"="):
        return t + str(len(v)).encode() + b"\r\n" + v + b"\r\n"
    return t + v + b"\r\n"


class RespConnection:
    """A raw RESP client: send bytes, read exactly one full reply, get its bytes back."""

    def __init__(self, port, host="127.0.0.1", timeout=IO_TIMEOUT_S):
        self.timeout = timeout
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.closed_by_peer = False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data):
        self.sock.sendall(data)

    def send_command(self, *args):
        self.send(encode_command(*args))

    def _fill(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout("timed out waiting for a reply")
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            self.closed_by_peer = True
            raise ConnectionClosed(f"connection closed; {len(self.buf)} unparsed bytes "
                                   f"{bytes(self.buf[:200])!r}")
        self.buf += chunk

    def read_reply(self, timeout=None):
        """Reads exactly one complete reply and returns its raw bytes."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            end = frame_end(self.buf)
            if end is not None:
                reply = bytes(self.buf[:end])
                del self.buf[:end]
                return reply
            self._fill(deadline)

    def call(self, *args, timeout=None):
        self.send_command(*args)
        return self.read_reply(timeout)

    def pending(self):
        """Bytes received but not yet returned as a reply."""
        return bytes(self.buf)

    def state_after(self, timeout=2.0):
        """Reports whether the peer closed the connection: 'closed', 'open' (answers PING),
        or 'extra:<bytes>' when something else arrives. Bounded by `timeout`."""
        if self.buf:
            return "extra:" + repr(bytes(self.buf))
        try:
            self.send(b"PING\r\n")
        except OSError:
            return "closed"
        try:
            reply = self.read_reply(timeout)
        except ConnectionClosed:
            return "closed" if not self.buf else "closed after " + repr(bytes(self.buf))
        except OSError as e:  # includes socket.timeout
            return f"no answer to PING ({e})"
        if reply == b"+PONG\r\n":
            return "open"
        return "extra:" + repr(reply)


# --------------------------------------------------------------------------------------------
# Assertions and bounded waits shared by the client tests
# --------------------------------------------------------------------------------------------

def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def eq(actual, expected, what=""):
    if actual != expected:
        raise AssertionError(f"{what}: expected {expected!r}, got {actual!r}")


def raises(fn, exc_type, contains=None):
    try:
        fn()
    except exc_type as e:
        if contains is not None and contains not in str(e):
            raise AssertionError(f"{exc_type.__name__} message {str(e)!r} lacks {contains!r}")
        return e
    except Exception as e:
        raise AssertionError(f"expected {exc_type.__name__}, got {type(e).__name__}: {e}")
    raise AssertionError(f"expected {exc_type.__name__}, nothing raised")


# What every command but a few gets while a dataset loads.
LOADING = b"-LOADING Redis is loading the dataset in memory\r\n"


def connect_asap(port, proc, timeout=10):
    """Connects as soon as the port accepts (to catch a server still loading): a busy loop
    bounded in tries and time. None when `proc` exited or the time ran out."""
    started = time.monotonic()
    for _ in range(1_000_000):
        try:
            return RespConnection(port, timeout=10)
        except OSError:
            if proc.poll() is not None or time.monotonic() - started > timeout:
                return None
    return None


def wait_for(pred, timeout, interval=0.05):
    """Bounded poll: True once pred() holds, False after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(interval)
    return pred()
