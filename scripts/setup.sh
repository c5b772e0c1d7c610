#!/usr/bin/env bash
# Prepare a fresh Debian 12 machine (as root) for netvirt-robot: Debian packages, a venv
# with the pinned Python packages, and the guest kernel the embedded lab's VMs boot.
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  openvswitch-switch-dpdk librte-net-af-packet23 librte-net-virtio23 librte-net-tap23 librte-mempool-ring23
  qemu-system-x86 qemu-system-arm qemu-efi-aarch64 libvirt-daemon-system openssh-server openssh-client
  iperf3 tcpdump ethtool iputils-ping iproute2 procps kmod busybox-static cpio
  libvirt-clients libvirt-dev pkg-config gcc python3-dev python3-venv libxml2-utils
  netsniff-ng # trafgen: 7.3's frame generator (fixed-size frames at a set packet rate)
  iptables    # benchmarks/trafgen_vs_iperf3.py: the far end that drops both generators' frames alike
)

if [ "$(id -u)" != 0 ]; then
  echo "setup: run as root (the embedded lab creates namespaces, hugepages and a libvirtd)" >&2
  exit 1
fi

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# netperf (the record's throughput tool) is in Debian's non-free component. It is fetched
# through a private source list that only this step reads, still checked against Debian's
# archive key; the machine's own apt sources are left as they are.
if ! dpkg-query -W -f='${Status}' netperf 2>/dev/null | grep -q "install ok installed"; then
  echo "setup: installing netperf from Debian's non-free component"
  nf=$(mktemp -d)
  trap 'rm -rf "$nf"' EXIT
  codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
  mkdir -p "$nf/lists/partial" "$nf/archives/partial"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $codename non-free" \
    > "$nf/sources.list"
  nfapt=(-o Dir::Etc::SourceList="$nf/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o Dir::State::Lists="$nf/lists" -o Dir::Cache::Archives="$nf/archives" -o APT::Sandbox::User=root)
  # Only the netperf cases need it: without it they fail naming the missing tool, the rest runs.
  if apt-get "${nfapt[@]}" update -qq &&
    apt-get "${nfapt[@]}" install -y -qq --download-only --no-install-recommends netperf >/dev/null &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$nf"/archives/netperf_*.deb \
      >/dev/null; then
    :
  else
    echo "setup: WARNING: netperf could not be installed from Debian non-free; the netperf cases will fail" >&2
  fi
  rm -rf "$nf"
  trap - EXIT
fi

# The guest kernels (Debian's linux-image, unpacked) and the lab's initramfs, cached in .cache/: x86_64
# guests (the default) and aarch64 guests (-V variables/embedded_lab.py:<id>::aarch64), whose arm64 kernel
# and small arm64 userland come from Debian's arm64 port through a private apt state (~100 MB, once).
# Fetched while pip fills the venv below, one process per architecture, with Debian's Python: the guest
# kernel code needs only the standard library (on a fresh machine pip took 78 s, the two kernels 40 s).
PY=/usr/bin/python3
kernel_jobs=()
for arch in x86_64 aarch64; do
  "$PY" -u - "$arch" <<'PY' &
import sys
sys.path.insert(0, "libraries")
from netvirt.embedded.guestboot import ensure_guest_kernel
from netvirt.seam import CACHE
arch = sys.argv[1]
kernel = ensure_guest_kernel(CACHE / "guest-kernel", progress=lambda m: print("setup:", m), arch=arch)
print(f"setup: {arch} guest kernel {kernel.version} ready")
PY
  kernel_jobs+=($!)
done
trap 'kill "${kernel_jobs[@]}" 2>/dev/null' EXIT # pip failed: stop the fetches too

# Debian's Python, whose headers libvirt-python compiles against.
stamp=.venv/.requirements.sha256
want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: creating .venv with requirements.txt"
  "$PY" -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -r requirements.txt
  echo "$want" > "$stamp"
fi
# Like an editable install: the venv finds the libraries, and plain `robot` gets robot.toml's options.
site=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
printf '%s\nimport netvirt.robotconfig\n' "$PWD/libraries" > "$site/netvirt-robot.pth"

for job in "${kernel_jobs[@]}"; do
  if ! wait "$job"; then
    echo "setup: 客户机内核没有准备好（原因见上）" >&2
    exit 1
  fi
done
trap - EXIT
