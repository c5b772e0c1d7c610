"""SSH sessions to lab hosts and guests (paramiko, the engine under SSHLibrary).

One session per host, opened on first use and reused. Sessions are independent objects,
so traffic keywords may use several from worker threads at once (they never log from
there; the keyword that collects the results does). Passwords are read from the
environment at connect time and never appear in a message.

A session runs its commands in one long-lived shell of the host (``_Shell``), each in a subshell of its
own, rather than in an SSH channel and a login shell each: a TCG guest spends some 0.2 s on sshd's
session set-up for every command (0.45 s against 0.23 s for ``ip -j link show``). A command that
finds the shell busy (another thread's) gets a channel of its own, as do ``start`` and SFTP.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import select
import shlex
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import paramiko

from netvirt.labspec import Credentials


class HostConnectionError(RuntimeError):
    """A host cannot be reached or refuses the lab's credentials."""


class UnknownHostKey(paramiko.SSHException):
    """The host showed a key that known_hosts does not hold."""

    def __init__(self, key: paramiko.PKey):
        super().__init__("unknown host key")
        self.key_type = key.get_name()
        self.fingerprint = _fingerprint(key)


class _RejectUnknown(paramiko.MissingHostKeyPolicy):
    def missing_host_key(self, client, hostname, key):
        raise UnknownHostKey(key)


class _TrustOnFirstUse(paramiko.MissingHostKeyPolicy):
    """Accept a host known_hosts does not hold and append its key there (the file is not rewritten)."""

    def __init__(self, path: Path):
        self.path = path

    def missing_host_key(self, client, hostname, key):
        client.get_host_keys().add(hostname, key.get_name(), key)
        with self.path.open("a") as known:
            known.write(f"{hostname} {key.get_name()} {key.get_base64()}\n")


def _fingerprint(key: paramiko.PKey) -> str:
    """OpenSSH's ``SHA256:...`` fingerprint, as ``ssh-keygen -lf`` prints it."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


@dataclass(frozen=True)
class CommandResult:
    host: str
    command: str
    rc: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def ok(self) -> bool:
        return self.rc == 0


class SshSession:
    """A connection to one host; ``run`` executes one command line there."""

    def __init__(
        self,
        name: str,
        address: str,
        credentials: Credentials,
        port: int = 22,
        connect_timeout: float = 10,
        handshake_timeout: float | None = None,
    ):
        self.name = name
        self.address = address
        self.port = port
        self.credentials = credentials
        self.connect_timeout = connect_timeout
        # The SSH banner and key exchange after the TCP connect: a guest under TCG on a busy machine
        # needs far longer for them (20 s measured at load 16 on 2 cores) than a host does.
        self.handshake_timeout = handshake_timeout or connect_timeout
        self._client: paramiko.SSHClient | None = None
        # A host that stopped answering (a guest locked up): set when a command timed out and the probe
        # after it got no answer either. Later commands fail at once instead of each waiting its timeout;
        # every RETRY_AFTER seconds one of them tries to reconnect (short timeouts) and clears it on success.
        self.probe_timeout = PROBE_TIMEOUT
        self.retry_after = RETRY_AFTER
        self._silent: _Silence | None = None
        self._shell: _Shell | None = None
        self._shell_lock = threading.Lock()  # held by the thread whose command the shell runs

    def _connect(self) -> paramiko.SSHClient:
        creds = self.credentials
        key_file, password = creds.private_key(), creds.password()
        if creds.password_env and password is None and not key_file:
            raise HostConnectionError(f"主机 {self.name} 的密码环境变量 {creds.password_env} 未设置")
        client = paramiko.SSHClient()
        self._check_host_keys_with(client)
        try:
            client.connect(
                self.address,
                port=self.port,
                username=creds.user,
                password=password,
                key_filename=key_file,
                timeout=self.connect_timeout,
                banner_timeout=self.handshake_timeout,
                auth_timeout=self.handshake_timeout,
                allow_agent=False,
                look_for_keys=False,
            )
        except UnknownHostKey as err:
            client.close()
            raise HostConnectionError(
                f"主机 {self.name}（{self.address}）的 SSH 主机密钥（{err.key_type} {err.fingerprint}）不在 known_hosts"
                f"（{creds.known_hosts}）中：核对后把它加入该文件（ssh-keyscan），或在实验环境中允许首次信任"
                "（trust_on_first_use，真实实验环境为 NETVIRT_SSH_TRUST_ON_FIRST_USE=1）"
            ) from None
        except paramiko.BadHostKeyException as err:
            client.close()
            raise HostConnectionError(
                f"主机 {self.name}（{self.address}）的 SSH 主机密钥与 known_hosts（{creds.known_hosts}）中记录的不同"
                f"（现为 {err.key.get_name()} {_fingerprint(err.key)}）：主机可能被冒充，或已重装；"
                "核对后再更新 known_hosts，连接已拒绝"
            ) from None
        except paramiko.AuthenticationException:
            client.close()
            raise HostConnectionError(f"主机 {self.name}（{self.address}）拒绝了用户 {creds.user} 的认证") from None
        except (OSError, paramiko.SSHException) as err:
            client.close()
            reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err) or type(err).__name__
            raise HostConnectionError(f"无法连接主机 {self.name}（{self.address}:{self.port}）：{reason}") from None
        transport = client.get_transport()
        if transport:
            transport.set_keepalive(15)
        return client

    def _check_host_keys_with(self, client: paramiko.SSHClient) -> None:
        """Host keys: those of ``known_hosts`` only; unknown hosts added there when the description trusts on
        first use; any key where the description names no file (the embedded lab's freshly made keys)."""
        creds = self.credentials
        if creds.known_hosts is None:
            client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
            return
        path = Path(creds.known_hosts).expanduser()
        if not path.exists():
            if not creds.trust_on_first_use:
                raise HostConnectionError(
                    f"主机 {self.name} 的 known_hosts 文件 {path} 不存在：SSH 主机密钥无从核对，连接已拒绝"
                )
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            path.touch(mode=0o600)
        try:
            client.get_host_keys().load(str(path))
        except (OSError, paramiko.SSHException) as err:
            raise HostConnectionError(f"主机 {self.name} 的 known_hosts 文件 {path} 读不了：{err}") from None
        client.set_missing_host_key_policy(_TrustOnFirstUse(path) if creds.trust_on_first_use else _RejectUnknown())

    @property
    def client(self) -> paramiko.SSHClient:
        if self._silent is not None:
            self._reconnect_silent()
        transport = self._client.get_transport() if self._client else None
        if not transport or not transport.is_active():
            self._client = self._connect()
        return self._client

    @property
    def unresponsive(self) -> bool:
        """Whether the host stopped answering (see ``run``); a reconnect that succeeds clears it."""
        return self._silent is not None

    def _reconnect_silent(self) -> None:
        """Fail at once while the host is known not to answer; every ``retry_after`` seconds try one
        reconnect with short timeouts (the host may be back: a guest restarted) and go on if it works."""
        silent = self._silent
        now = time.monotonic()
        if now - silent.tried < self.retry_after:
            raise HostConnectionError(silent.message())
        silent.tried = now
        saved = self.connect_timeout, self.handshake_timeout
        self.connect_timeout = self.handshake_timeout = min(self.connect_timeout, self.probe_timeout)
        try:
            self._drop()
            self._client = self._connect()
        except HostConnectionError as err:
            raise HostConnectionError(f"{silent.message()}；重连也失败：{err}") from None
        finally:
            self.connect_timeout, self.handshake_timeout = saved
        self._silent = None

    def _answers(self) -> bool:
        """Whether the host still runs a command (``true``) within ``probe_timeout`` seconds on the
        connection that just timed out: a slow command on a live host, or a host that stopped answering."""
        transport = self._client.get_transport() if self._client else None
        if not transport or not transport.is_active():
            return False
        deadline = time.monotonic() + self.probe_timeout  # one bound for opening the channel and the answer
        try:
            channel = transport.open_session(timeout=self.probe_timeout)
            try:
                channel.settimeout(max(deadline - time.monotonic(), 0.1))
                channel.exec_command("true")
                while not channel.exit_status_ready():
                    if time.monotonic() > deadline:
                        return False
                    time.sleep(0.05)
                return channel.recv_exit_status() == 0
            finally:
                channel.close()
        except (OSError, EOFError, paramiko.SSHException):
            return False

    def run(self, command: str, timeout: float = 120) -> CommandResult:
        """Run ``command`` (a shell command line) and wait for it; never raises on rc != 0.

        A command that does not end within ``timeout`` fails; if the host then does not run ``true`` within
        ``probe_timeout`` either (or a channel for the command cannot even be opened), the host is marked
        unresponsive and later commands fail at once, naming it and since when (see ``client``).
        """
        start = time.monotonic()
        sent = time.time()
        try:
            if self._shell_lock.acquire(blocking=False):
                try:
                    rc, stdout, stderr = self._in_shell(command, sent, timeout)
                finally:
                    self._shell_lock.release()
            else:
                rc, stdout, stderr = self._in_channel(command, sent, timeout)
        except TimeoutError:
            if self._answers():
                raise HostConnectionError(
                    f"主机 {self.name} 上的命令超时（{timeout:.0f} 秒）：{command}（主机仍有应答：探测命令 true 成功）"
                ) from None
            probe = f"随后的探测命令 true 在 {self.probe_timeout:.0f} 秒内也没有回应"
            raise self._fall_silent(sent, f"命令 {command} 超时（{timeout:.0f} 秒），{probe}") from None
        except paramiko.SSHException as err:
            self._drop()
            raise HostConnectionError(f"主机 {self.name} 的 SSH 连接出错（{err}）：{command}") from None
        return CommandResult(self.name, command, rc, stdout, stderr, time.monotonic() - start)

    def _in_shell(self, command: str, sent: float, timeout: float) -> tuple[int, str, str]:
        """``command`` in the session's long-lived shell (started on first use, or again after one was lost)."""
        transport = self.client.get_transport()
        shell = self._shell
        if shell is None or not shell.alive(transport):
            if shell is not None:
                shell.close()
            channel = self._open_channel(command, sent, min(self.connect_timeout, timeout))
            self._shell = shell = _Shell(channel)
        try:
            return shell.run(command, timeout)
        except BaseException:
            # Whatever the shell was doing (a command still running, output half read) is not the next one's.
            self._shell = None
            shell.close()
            raise

    def _in_channel(self, command: str, sent: float, timeout: float) -> tuple[int, str, str]:
        """``command`` in an SSH channel (and login shell) of its own."""
        # Not SSHClient.exec_command: the stdin file it makes can deadlock the transport thread
        # when the garbage collector finalizes it there (paramiko issue 2685, seen here as a
        # chapter run hanging in 重启虚拟机). No stdin file is made; the command gets EOF instead.
        channel = self._open_channel(command, sent, min(self.connect_timeout, timeout))
        try:
            channel.settimeout(timeout)
            channel.exec_command(command)
            channel.shutdown_write()
            stdout = channel.makefile("rb").read().decode(errors="replace")
            stderr = channel.makefile_stderr("rb").read().decode(errors="replace")
            return channel.recv_exit_status(), stdout, stderr
        finally:
            channel.close()

    def _open_channel(self, command: str, sent: float, timeout: float) -> paramiko.Channel:
        transport = self.client.get_transport()
        try:
            return transport.open_session(timeout=timeout)
        except paramiko.SSHException as err:
            if transport.is_active() and "Timeout" in str(err):  # paramiko: "Timeout opening channel."
                what = f"为命令 {command} 打开 SSH 通道，{timeout:.0f} 秒没有回应"
                raise self._fall_silent(sent, what) from None
            raise

    def _fall_silent(self, sent: float, what: str) -> HostConnectionError:
        self._drop()
        self._silent = _Silence(self.name, self.address, sent, what)
        return HostConnectionError(self._silent.message())

    def start(self, command: str) -> paramiko.Channel:
        """Start ``command`` without waiting; the caller reads and closes the channel. A host that does not
        open the channel within the connect timeout is marked unresponsive (paramiko would wait an hour)."""
        channel = self._open_channel(command, time.time(), self.connect_timeout)
        channel.exec_command(command)
        return channel

    def open_sftp(self, timeout: float = 120) -> paramiko.SFTPClient:
        """An SFTP session whose every operation gives up after ``timeout`` seconds (``socket.timeout``); its
        channel is opened within the connect timeout, as a command's is (paramiko's own waits an hour)."""
        channel = self._open_channel("SFTP", time.time(), min(self.connect_timeout, timeout))
        channel.settimeout(timeout)
        channel.invoke_subsystem("sftp")
        return paramiko.SFTPClient(channel)

    def put(self, data: bytes, remote_path: str, mode: int = 0o644, timeout: float = 120) -> None:
        """Write ``data`` to ``remote_path`` over SFTP, within ``timeout`` seconds."""
        try:
            with self.open_sftp(timeout) as sftp:
                with sftp.open(remote_path, "wb") as remote:
                    remote.write(data)
                sftp.chmod(remote_path, mode)
        except TimeoutError:
            raise HostConnectionError(f"主机 {self.name} 上 SFTP 写入 {remote_path} 超时（{timeout:.0f} 秒）") from None

    def _drop(self) -> None:
        shell, self._shell = self._shell, None
        if shell is not None:
            shell.close()
        if self._client:
            self._client.close()
            self._client = None

    def close(self) -> None:
        """Close the connection; the next command connects again (a host marked silent is tried anew)."""
        self._drop()
        self._silent = None


class _Shell:
    """A shell on an exec channel that runs one command after another, each as ``( eval <command> ) </dev/null``:
    the command sees what it would in a channel of its own (the login shell's syntax, no stdin, its own working
    directory, variables and ``exit``), and a line of its own on stdout and on stderr, with a marker no output
    holds, ends it with its exit status."""

    def __init__(self, channel: paramiko.Channel):
        self.channel = channel
        self.marker = f"__netvirt_{secrets.token_hex(8)}_"
        channel.exec_command('exec "$SHELL"')  # sshd sets SHELL to the login shell, which runs a command too

    def alive(self, transport: paramiko.Transport) -> bool:
        channel = self.channel
        return channel.get_transport() is transport and not (channel.closed or channel.eof_received)

    def run(self, command: str, timeout: float) -> tuple[int, str, str]:
        """``command``'s exit status, stdout and stderr; ``TimeoutError`` after ``timeout`` seconds and
        ``paramiko.SSHException`` when the shell ended first (the shell is unusable after either)."""
        ends = f"printf '\\n{self.marker}%d\\n' $?; printf '\\n{self.marker}\\n' >&2"
        try:
            self.channel.sendall(f"( eval {shlex.quote(command)} ) </dev/null; {ends}\n".encode())
        except OSError as err:  # the channel closed under us (paramiko: "Socket is closed")
            raise paramiko.SSHException(f"会话的 shell 已关闭（{err}）") from None
        deadline = time.monotonic() + timeout
        out, err = bytearray(), bytearray()
        end = f"\n{self.marker}".encode()
        while True:
            if self.channel.recv_stderr_ready():
                err += self.channel.recv_stderr(65536)
            elif self.channel.recv_ready():
                out += self.channel.recv(65536)
            elif (at := out.rfind(end)) >= 0 and out.endswith(b"\n") and err.endswith(end + b"\n"):
                status = bytes(out[at + len(end) : -1])
                return (
                    int(status),
                    bytes(out[:at]).decode(errors="replace"),
                    bytes(err[: -len(end) - 1]).decode(errors="replace"),
                )
            elif self.channel.closed or self.channel.eof_received:
                raise paramiko.SSHException("会话的 shell 意外结束（命令退出了它，或连接断开）")
            else:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError
                select.select([self.channel], [], [], min(left, 1.0))

    def close(self) -> None:
        self.channel.close()


PROBE_TIMEOUT = 10.0  # a live guest under TCG at load 16 ran a command in 1-3 s
RETRY_AFTER = 30.0


@dataclass
class _Silence:
    """When and how a host stopped answering, for the message of every command refused meanwhile."""

    host: str
    address: str
    since: float  # wall clock: when the command that got no answer was sent
    what: str
    tried: float = field(default_factory=time.monotonic)

    def message(self) -> str:
        when = time.strftime("%H:%M:%S", time.localtime(self.since))
        return (
            f"主机 {self.host}（{self.address}）自 {when} 起没有应答：{self.what}（主机或虚拟机可能已挂起）。"
            "之后的命令立即失败，直到重新连接成功"
        )


# -- a unix socket of a host, reached through its SSH session --------------------------------------
# OVSDB of a real lab is reached this way rather than over a TCP listener (ptcp:6640 lets anyone on the
# network change the switch). paramiko has no streamlocal (unix socket) forwarding, and a server may
# forbid it (AllowStreamLocalForwarding); socat and ncat -U are not on a minimal CentOS 7. Each
# connection is therefore an exec channel running this relay under the host's Python: python3, else
# python2 (CentOS 7's yum runs on python 2.7, so it is always there). Standard library only, source
# valid in both; it carries bytes between the channel (stdin/stdout) and the socket in argv[1].
_UNIX_RELAY = """
import os, select, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect(sys.argv[1])
except socket.error as err:
    sys.stderr.write("%s: %s\\n" % (sys.argv[1], err))
    sys.exit(2)
i, o = sys.stdin.fileno(), sys.stdout.fileno()
while True:
    ready = select.select([i, s], [], [])[0]
    if i in ready:
        data = os.read(i, 65536)
        if not data:
            break
        s.sendall(data)
    if s in ready:
        data = s.recv(65536)
        if not data:
            break
        while data:
            data = data[os.write(o, data):]
"""
_RELAY_LAUNCH = (
    'for p in python3 python2 python; do command -v "$p" >/dev/null 2>&1 && exec "$p" -c "$0" "$1"; done; '
    'echo "netvirt: no python on this host for the unix socket relay" >&2; exit 127'
)


class UnixSocketForward:
    """A unix socket of this process (in a private temporary directory) whose every connection reaches the
    unix socket ``remote_path`` of a host, through an exec channel of that host's SSH session.

    ``session_of`` returns the host's current session (a lab re-opens one that broke). ``remote`` is the
    local end as an OVSDB connection string. ``close()`` ends every relayed connection and removes the
    directory. Example: ``UnixSocketForward(lambda: lab.session("hostb"), "/usr/local/var/run/openvswitch/db.sock")``
    """

    def __init__(self, session_of: Callable[[], SshSession], remote_path: str):
        self.remote_path = remote_path
        self.errors: list[str] = []
        self._session_of = session_of
        self._dir = tempfile.mkdtemp(prefix="netvirt-ssh-")  # 0700: only this user reaches the socket
        self.path = os.path.join(self._dir, "sock")
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(self.path)
        self._listener.listen(16)
        self._lock = threading.Lock()
        self._relays: set[tuple[socket.socket, paramiko.Channel]] = set()
        self._closed = False
        threading.Thread(target=self._accept, name=f"forward {remote_path}", daemon=True).start()

    @property
    def remote(self) -> str:
        return f"unix:{self.path}"

    def check(self) -> None:
        """Fail, naming host and path, unless the host has a unix socket at ``remote_path``."""
        session = self._session_of()
        if not session.run(shlex.join(["test", "-S", self.remote_path]), timeout=15).ok:
            raise HostConnectionError(f"主机 {session.name} 上没有 unix 套接字 {self.remote_path}（服务没有运行？）")

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:  # closed
                return
            threading.Thread(target=self._relay, args=(conn,), daemon=True).start()

    def _relay(self, conn: socket.socket) -> None:
        channel = None
        try:
            session = self._session_of()
            channel = session.client.get_transport().open_session(timeout=session.connect_timeout)
            channel.exec_command(shlex.join(["sh", "-c", _RELAY_LAUNCH, _UNIX_RELAY, self.remote_path]))
            with self._lock:
                if self._closed:
                    return
                self._relays.add((conn, channel))
            self._pump(conn, channel)
            if channel.recv_stderr_ready():
                self.errors.append(channel.recv_stderr(4096).decode(errors="replace").strip())
        except (OSError, paramiko.SSHException, HostConnectionError) as err:
            # The client (ovsdbapp) sees its connection end and reconnects; the reason is kept for the log.
            self.errors.append(f"{self.remote_path}: {err}")
        finally:
            with self._lock:
                self._relays.discard((conn, channel))
            conn.close()
            if channel is not None:
                channel.close()

    @staticmethod
    def _pump(conn: socket.socket, channel: paramiko.Channel) -> None:
        while True:
            ready, _, _ = select.select([conn, channel], [], [])
            if conn in ready:
                data = conn.recv(65536)
                if not data:
                    return
                channel.sendall(data)
            if channel in ready:
                data = channel.recv(65536)
                if not data:
                    return
                conn.sendall(data)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            relays = list(self._relays)
        self._listener.close()
        for conn, channel in relays:
            channel.close()
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        shutil.rmtree(self._dir, ignore_errors=True)
