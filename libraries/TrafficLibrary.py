"""Robot keywords for traffic checks: pings with computed verdicts.

= Ping =
``ping`` runs on the sending host or guest over SSH; its summary is parsed (sent,
received, loss, rtt) and the verdict computed from it, with the output in the log.
"""

from __future__ import annotations

import ipaddress
import shlex

from robot.api.deco import keyword, library

from HostLibrary import check_ifname
from netvirt import evidence, seam
from netvirt.parsers.traffic import parse_ping


@library(scope="GLOBAL", auto_keywords=False)
class TrafficLibrary:
    @keyword("执行Ping")
    def ping(
        self,
        source: str,
        destination: str,
        count: int = 3,
        size: int | None = None,
        dont_fragment: bool = False,
        interface: str | None = None,
        interval: float = 0.2,
        deadline: int | None = None,
    ) -> dict:
        """Ping ``destination`` from host or guest ``source``; return the parsed summary.

        ``dont_fragment`` sets ``-M do`` (the record's DF ping for MTU checks).

        Example: | ${r}= | 执行Ping | vm01 | 5.5.5.52 | count=3 | size=3972 | dont_fragment=True |
        """
        ipaddress.ip_address(destination)
        if not 1 <= count <= 10000:
            raise ValueError(f"count {count} 超出范围 1..10000")
        argv = [
            "ping",
            "-n",
            "-c",
            str(count),
            "-i",
            str(interval),
            "-W",
            "1",
            "-w",
            str(deadline or max(2, int(count * interval) + 2)),
        ]
        if size is not None:
            if not 0 <= size <= 65507:
                raise ValueError(f"size {size} 超出范围 0..65507")
            argv += ["-s", str(size)]
        if dont_fragment:
            argv += ["-M", "do"]
        if interface:
            argv += ["-I", check_ifname(interface)]
        argv.append(destination)
        result = seam.current().session(source).run(shlex.join(argv), timeout=count * interval + 30)
        evidence.command(result)
        return parse_ping(result.stdout + result.stderr)

    @keyword("应能Ping通")
    def should_reach(self, source: str, destination: str, count: int = 3, **options) -> dict:
        """Fail unless every ping from ``source`` to ``destination`` is answered.

        Example: | 应能Ping通 | vm01 | 5.5.5.52 |
        """
        summary = self.ping(source, destination, count, **options)
        if summary["received"] != summary["transmitted"] or not summary["transmitted"]:
            raise AssertionError(
                f"{source} ping {destination}：发送 {summary['transmitted']}，"
                f"收到 {summary['received']}（丢包 {summary['loss_pct']}%），期望全部收到"
            )
        return summary

    @keyword("应不能Ping通")
    def should_not_reach(self, source: str, destination: str, count: int = 3, **options) -> dict:
        """Fail if any ping from ``source`` to ``destination`` is answered.

        Example: | 应不能Ping通 | vm02 | 5.5.5.51 |
        """
        summary = self.ping(source, destination, count, **options)
        if summary["received"]:
            raise AssertionError(f"{source} ping {destination}：收到 {summary['received']} 个应答，期望不通")
        return summary
