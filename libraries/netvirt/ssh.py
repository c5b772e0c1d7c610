"""SSH sessions to lab hosts and guests (paramiko, the engine under SSHLibrary).

One session per host, opened on first use and reused. Sessions are independent objects,
so traffic keywords may use several from worker threads at once (they never log from
there; the keyword that collects the results does). Passwords are read from the
environment at connect time and never appear in a message.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import paramiko

from netvirt.labspec import Credentials


class HostConnectionError(RuntimeError):
    """A host cannot be reached or refuses the lab's credentials."""


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

    def __init__(self, name: str, address: str, credentials: Credentials, port: int = 22, connect_timeout: float = 10):
        self.name = name
        self.address = address
        self.port = port
        self.credentials = credentials
        self.connect_timeout = connect_timeout
        self._client: paramiko.SSHClient | None = None

    def _connect(self) -> paramiko.SSHClient:
        creds = self.credentials
        key_file, password = creds.private_key(), creds.password()
        if creds.password_env and password is None and not key_file:
            raise HostConnectionError(f"主机 {self.name} 的密码环境变量 {creds.password_env} 未设置")
        client = paramiko.SSHClient()
        # Lab hosts are re-created with new host keys on every run; the lab description,
        # not a known_hosts file, is what says which address is which host.
        client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        try:
            client.connect(
                self.address,
                port=self.port,
                username=creds.user,
                password=password,
                key_filename=key_file,
                timeout=self.connect_timeout,
                banner_timeout=self.connect_timeout,
                auth_timeout=self.connect_timeout,
                allow_agent=False,
                look_for_keys=False,
            )
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

    @property
    def client(self) -> paramiko.SSHClient:
        transport = self._client.get_transport() if self._client else None
        if not transport or not transport.is_active():
            self._client = self._connect()
        return self._client

    def run(self, command: str, timeout: float = 120) -> CommandResult:
        """Run ``command`` (a shell command line) and wait for it; never raises on rc != 0."""
        start = time.monotonic()
        try:
            # Not SSHClient.exec_command: the stdin file it makes can deadlock the transport thread
            # when the garbage collector finalizes it there (paramiko issue 2685, seen here as a
            # chapter run hanging in 重启虚拟机). No stdin file is made; the command gets EOF instead.
            channel = self.client.get_transport().open_session(timeout=self.connect_timeout)
            try:
                channel.settimeout(timeout)
                channel.exec_command(command)
                channel.shutdown_write()
                stdout = channel.makefile("rb").read().decode(errors="replace")
                stderr = channel.makefile_stderr("rb").read().decode(errors="replace")
                rc = channel.recv_exit_status()
            finally:
                channel.close()
        except TimeoutError:
            self.close()
            raise HostConnectionError(f"主机 {self.name} 上的命令超时（{timeout:.0f} 秒）：{command}") from None
        except paramiko.SSHException as err:
            self.close()
            raise HostConnectionError(f"主机 {self.name} 的 SSH 连接出错（{err}）：{command}") from None
        return CommandResult(self.name, command, rc, stdout, stderr, time.monotonic() - start)

    def start(self, command: str) -> paramiko.Channel:
        """Start ``command`` without waiting; the caller reads and closes the channel."""
        channel = self.client.get_transport().open_session()
        channel.exec_command(command)
        return channel

    def put(self, data: bytes, remote_path: str, mode: int = 0o644) -> None:
        with self.client.open_sftp() as sftp:
            with sftp.open(remote_path, "wb") as remote:
                remote.write(data)
            sftp.chmod(remote_path, mode)

    def close(self) -> None:
        if self._client:
            self._client.close()
            self._client = None
