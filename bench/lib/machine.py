"""What the benchmark ran on: CPU, memory, load, FAISS flavour, BLAS, git commit."""

import datetime
import os
import platform
import re
import statistics
import subprocess
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
AVX2_ARCHIVE = "/var/cache/jadevector/faiss-1.7.3-avx2/libfaiss_avx2.a"


def describe(build_dir):
    """Return a dict describing the machine and the build the benchmark measures."""
    return {
        "cpu_model": _cpu_model(),
        "cores": os.cpu_count(),
        "cpu_flags_avx2": "avx2" in _cpu_flags(),
        "ram_gib": round(_meminfo_kb("MemTotal") / 1048576.0, 1),
        "kernel": platform.release(),
        "faiss_flavor": faiss_flavor(build_dir),
        "build_type": build_type(build_dir),
        "blas": blas(),
        "git_commit": _git("rev-parse", "--short=12", "HEAD"),
        "git_dirty": bool(_git("status", "--porcelain", "--", "bench")),  # the benchmark code itself
        "build_source": build_source(build_dir),
        "started_utc": now(),
        "loadavg_start": loadavg(),
    }


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def loadavg():
    """Return the 1/5/15-minute load averages."""
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def faiss_flavor(build_dir):
    """Return which FAISS the build linked: from <build>/CMakeCache.txt and the AVX2 archive's presence."""
    cache = {}
    try:
        with open(os.path.join(build_dir, "CMakeCache.txt")) as f:
            for line in f:
                if "=" in line and not line.startswith(("//", "#")):
                    key, _, value = line.strip().partition("=")
                    cache[key.split(":")[0]] = value
    except FileNotFoundError:
        return "unknown (no CMakeCache.txt in %s)" % build_dir
    if cache.get("JADE_FAISS_FLAVOR"):
        return cache["JADE_FAISS_FLAVOR"]
    use_avx2 = cache.get("JADE_USE_AVX2_FAISS", "ON").upper() in ("ON", "1", "TRUE", "YES")
    archive = os.path.join(cache.get("JADE_FAISS_CACHE", os.path.dirname(AVX2_ARCHIVE)), "libfaiss_avx2.a")
    if use_avx2 and os.path.exists(archive) and "avx2" in _cpu_flags():
        return "faiss-1.7.3-avx2 (%s)" % archive
    return "faiss-1.7.3-generic (Debian libfaiss.a)"


def build_source(build_dir):
    """Describe the source tree the build directory was configured from (CMAKE_HOME_DIRECTORY).

    A build of this checkout reports its commit and whether the tree had uncommitted changes; a build
    of an exported tree reports the commit recorded in its `.jade-source-commit` file (written by
    whoever exported it, e.g. `git archive HEAD`), so the doc can say exactly what was measured.
    """
    src = None
    try:
        with open(os.path.join(build_dir, "CMakeCache.txt")) as f:
            for line in f:
                if line.startswith("CMAKE_HOME_DIRECTORY:"):
                    src = line.strip().split("=", 1)[1]
    except FileNotFoundError:
        return "unknown"
    if not src:
        return "unknown"
    marker = os.path.join(src, ".jade-source-commit")
    if os.path.exists(marker):
        with open(marker) as f:
            return "clean export of commit %s (%s)" % (f.read().strip(), src)
    if os.path.realpath(src) == os.path.realpath(REPO):
        dirty = bool(_git("status", "--porcelain", "--untracked-files=no")) or bool(
            _git("status", "--porcelain"))
        return "this checkout at %s%s" % (_git("rev-parse", "--short=12", "HEAD"),
                                          " with uncommitted/untracked changes" if dirty else "")
    return src


def build_type(build_dir):
    """Return the CMake build type of the build directory (the top CMakeLists.txt default when unset)."""
    try:
        with open(os.path.join(build_dir, "CMakeCache.txt")) as f:
            for line in f:
                if line.startswith("CMAKE_BUILD_TYPE:"):
                    value = line.strip().split("=", 1)[1]
                    if value:
                        return value
    except FileNotFoundError:
        return "unknown"
    try:
        with open(os.path.join(REPO, "CMakeLists.txt")) as f:
            m = re.search(r"set\(CMAKE_BUILD_TYPE\s+(\w+)", f.read())
            if m:
                return "%s (default of CMakeLists.txt)" % m.group(1)
    except FileNotFoundError:
        pass
    return "unset"


def blas():
    """Return the libblas.so.3 alternative in use (Debian's update-alternatives)."""
    try:
        out = subprocess.run(["update-alternatives", "--query", "libblas.so.3-x86_64-linux-gnu"],
                             capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    for line in out.splitlines():
        if line.startswith("Value:"):
            return line.split(":", 1)[1].strip()
    return "unknown"


class LoadSampler:
    """Samples the 1-minute load average and the machine's CPU use in a thread while the run goes on.

    The start/end load averages alone miss what happened in between (other engineers' builds come and
    go during an hour-long run); the report states the median and maximum seen. The figures include
    the benchmark's own processes (server and clients), so on 2 cores a load near 2 is the run itself
    and anything well above it is other work.
    """

    def __init__(self, interval=15.0):
        self.interval = interval
        self.samples = []  # (unix time, load1, cpu busy 0..1 since the previous sample)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._last = None

    def start(self):
        self._last = _cpu_snapshot()
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=5)
        return self.summary()

    def summary(self):
        """Return {interval_s, samples, load1_median, load1_max, cpu_busy_median} (None values when empty)."""
        loads = [s[1] for s in self.samples]
        busy = [s[2] for s in self.samples if s[2] is not None]
        return {"interval_s": self.interval, "samples": len(loads),
                "load1_median": round(statistics.median(loads), 2) if loads else None,
                "load1_max": round(max(loads), 2) if loads else None,
                "cpu_busy_median": round(statistics.median(busy), 3) if busy else None}

    def _run(self):
        while not self._stop.wait(self.interval):
            snap = _cpu_snapshot()
            total, idle = snap[0] - self._last[0], snap[1] - self._last[1]
            self._last = snap
            busy = round(1.0 - idle / float(total), 3) if total > 0 else None
            self.samples.append((time.time(), loadavg()[0], busy))


def _cpu_snapshot():
    """Return (total jiffies, idle jiffies) of all CPUs from /proc/stat."""
    with open("/proc/stat") as f:
        vals = [int(x) for x in f.readline().split()[1:]]
    return sum(vals), vals[3] + (vals[4] if len(vals) > 4 else 0)


def cpu_busy(seconds=2.0):
    """Return the machine's CPU use (0..1 of all cores) over `seconds`, from /proc/stat.

    Called before the benchmark starts anything, it measures the load other work puts on the
    machine, which the report states next to the numbers.
    """
    t0, i0 = _cpu_snapshot()
    time.sleep(seconds)
    t1, i1 = _cpu_snapshot()
    return round(1.0 - (i1 - i0) / float(max(1, t1 - t0)), 3)


def _cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _cpu_flags():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    return set()


def _meminfo_kb(key):
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def _git(*args):
    try:
        return subprocess.run(["git", "-C", REPO] + list(args), capture_output=True, text=True,
                              timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""
