"""What every bench driver prints about the machine and how it counts CPU time."""
import os
import platform
import resource


def machine():
    """One line: host, CPU model, cores and the current load average (so readers see contention)."""
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.node()}: {cpu}, {os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f}"


def children_cpu():
    """User + system CPU seconds of all waited-for child processes so far."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime
