#!/usr/bin/env python3
"""Node-exporter-like OpenMetrics for benchmarks/scale.sh. Deterministic.

usage: gen_node_openmetrics.py SERIES FROM_H TO_H STEP_S OFFSET_MS SEED > out.om

SERIES series of the metric families a node exporter exposes (CPU seconds per cpu and mode, memory, file
systems per mount, network and disk counters per device, load, ...), labelled instance="host-N:9100",
job="node", spread over as many hosts as needed (about 300 series per host), sampled every STEP_S seconds on
[FROM_H, TO_H) hours after T0, each timestamp shifted by OFFSET_MS (a second replica scraping a little
later). Counters grow by seeded random increments, gauges walk with the precision the exporter reports, and
some series are constant (sizes, info), so the chunks compress the way real ones do.

The output is written metric family by metric family (OpenMetrics requires a family's lines together),
each series' samples in time order.
"""
import random
import sys

T0_MS = 1700006400000  # 2023-11-15T00:00:00Z, a day boundary: 2h block ranges align

CPU_MODES = ["idle", "iowait", "irq", "nice", "softirq", "steal", "system", "user"]
MOUNTS = [("/dev/sda1", "ext4", "/"), ("/dev/sda2", "ext4", "/var"), ("/dev/sdb1", "xfs", "/data"),
          ("tmpfs", "tmpfs", "/run"), ("tmpfs", "tmpfs", "/dev/shm")]
NET_DEVICES = ["eth0", "eth1", "lo", "docker0"]
DISKS = ["sda", "sdb", "nvme0n1"]
MEMORY = ["MemTotal", "MemFree", "MemAvailable", "Buffers", "Cached", "SwapCached", "Active", "Inactive",
          "Active_anon", "Inactive_anon", "Active_file", "Inactive_file", "Unevictable", "Mlocked",
          "SwapTotal", "SwapFree", "Dirty", "Writeback", "AnonPages", "Mapped", "Shmem", "KReclaimable",
          "Slab", "SReclaimable", "SUnreclaim", "KernelStack", "PageTables", "NFS_Unstable", "Bounce",
          "WritebackTmp", "CommitLimit", "Committed_AS", "VmallocTotal", "VmallocUsed", "VmallocChunk",
          "Percpu", "HardwareCorrupted", "AnonHugePages", "ShmemHugePages", "ShmemPmdMapped",
          "FileHugePages", "FilePmdMapped", "HugePages_Total", "HugePages_Free", "HugePages_Rsvd",
          "HugePages_Surp", "Hugepagesize", "Hugetlb", "DirectMap4k", "DirectMap2M", "DirectMap1G"]
VMSTAT = ["pgpgin", "pgpgout", "pswpin", "pswpout", "pgfault", "pgmajfault", "oom_kill"]


def families(cpus):
    """(family, type, [(label text, kind)]) for one host; kind: c counter, g gauge, k constant."""
    out = [("node_cpu_seconds_total", "counter",
            [('cpu="%d",mode="%s"' % (c, m), "c") for c in range(cpus) for m in CPU_MODES])]
    for m in MEMORY:
        out.append(("node_memory_%s_bytes" % m, "gauge", [("", "k" if "Total" in m or "size" in m else "g")]))
    for f in ["avail_bytes", "free_bytes", "size_bytes", "files", "files_free", "readonly", "device_error"]:
        kind = "g" if f in ("avail_bytes", "free_bytes", "files_free") else "k"
        out.append(("node_filesystem_" + f, "gauge",
                    [('device="%s",fstype="%s",mountpoint="%s"' % mnt, kind) for mnt in MOUNTS]))
    for d in ["receive", "transmit"]:
        for f in ["bytes", "packets", "errs", "drop", "fifo", "compressed", "multicast"]:
            out.append(("node_network_%s_%s_total" % (d, f), "counter",
                        [('device="%s"' % dev, "c" if f in ("bytes", "packets") else "k") for dev in NET_DEVICES]))
    for f in ["up", "mtu_bytes", "speed_bytes", "carrier"]:
        out.append(("node_network_" + f, "gauge", [('device="%s"' % dev, "k") for dev in NET_DEVICES]))
    for f in ["reads_completed", "writes_completed", "read_bytes", "written_bytes", "io_time_seconds",
              "read_time_seconds", "write_time_seconds", "reads_merged", "writes_merged",
              "io_time_weighted_seconds", "discards_completed", "discarded_sectors", "flush_requests"]:
        out.append(("node_disk_%s_total" % f, "counter", [('device="%s"' % dev, "c") for dev in DISKS]))
    out.append(("node_disk_io_now", "gauge", [('device="%s"' % dev, "g") for dev in DISKS]))
    for f in ["load1", "load5", "load15", "procs_running", "procs_blocked", "entropy_available_bits",
              "filefd_allocated", "sockstat_TCP_inuse", "sockstat_TCP_tw", "nf_conntrack_entries"]:
        out.append(("node_" + f, "gauge", [("", "g")]))
    for f in ["context_switches", "intr", "forks"]:
        out.append(("node_%s_total" % f, "counter", [("", "c")]))
    for f in VMSTAT:
        out.append(("node_vmstat_" + f, "gauge", [("", "c")]))
    out.append(("node_boot_time_seconds", "gauge", [("", "k")]))
    out.append(("node_uname_info", "gauge",
                [('machine="x86_64",release="6.1.0-13-amd64",sysname="Linux"', "k")]))
    out.append(("node_scrape_collector_duration_seconds", "gauge",
                [('collector="%s"' % c, "g") for c in
                 ["cpu", "diskstats", "filesystem", "loadavg", "meminfo", "netdev", "stat", "vmstat"]]))
    out.append(("up", "gauge", [("", "k")]))
    return out


def main():
    series, from_h, to_h, step_s, offset_ms, seed = sys.argv[1:7]
    series, step_ms, offset_ms, seed = int(series), int(step_s) * 1000, int(offset_ms), int(seed)
    start = T0_MS + int(float(from_h) * 3600000)
    end = T0_MS + int(float(to_h) * 3600000)
    first = T0_MS + ((start - T0_MS + step_ms - 1) // step_ms) * step_ms
    times = list(range(first, end, step_ms))
    stamps = ["%d.%03d" % ((t + offset_ms) // 1000, (t + offset_ms) % 1000) for t in times]
    skip = (first - T0_MS) // step_ms  # steps before FROM_H: the counters start where they would be
    # Hosts of 2, 4, 8 or 16 CPUs; the template of each host size, and how many hosts are needed.
    templates = {c: families(c) for c in (2, 4, 8, 16)}
    hosts = []
    total = 0
    h = 0
    while total < series:
        cpus = (2, 4, 8, 16)[(h * 7919) % 4]
        n = sum(len(s) for _, _, s in templates[cpus])
        hosts.append((h, cpus, min(n, series - total)))
        total += n
        h += 1
    # Where each family starts in each host size's series list, to honour a host's limit (the last host is cut).
    offsets = {c: {} for c in templates}
    for c, fams in templates.items():
        before = 0
        for f, _, s in fams:
            offsets[c][f] = (before, s)
            before += len(s)
    order = [(f, t) for f, t, _ in templates[16]]
    w = sys.stdout.write
    for fi, (fam, typ) in enumerate(order):
        w("# TYPE %s %s\n" % (fam, typ))
        for host, cpus, limit in hosts:
            before, entry = offsets[cpus][fam]
            if before >= limit:
                continue
            inst = 'instance="host-%d:9100",job="node"' % host
            for k, (lbl, kind) in enumerate(entry[:max(0, limit - before)]):
                name = "%s{%s%s}" % (fam, lbl + "," if lbl else "", inst)
                rnd = random.Random((seed * 1000003 + host) * 1009 + fi * 131 + k)
                lines = []
                if kind == "k":
                    v = "%d" % rnd.randrange(1, 1 << 34)
                    for ts in stamps:
                        lines.append("%s %s %s\n" % (name, v, ts))
                elif kind == "c":
                    rate = rnd.choice((0.01, 1.0, 37.0, 4096.0, 1 << 20))
                    v = rnd.uniform(0, 1e6) * rate + skip * rate * step_ms / 1000
                    for ts in stamps:
                        lines.append("%s %.2f %s\n" % (name, v, ts) if rate < 1 else "%s %d %s\n" % (name, v, ts))
                        v += rate * rnd.uniform(0.5, 1.5) * step_ms / 1000
                else:
                    v = rnd.uniform(0, 100)
                    for ts in stamps:
                        lines.append("%s %.3g %s\n" % (name, v, ts))
                        v = abs(v + rnd.uniform(-1, 1))
                w("".join(lines))
    w("# EOF\n")


if __name__ == "__main__":
    main()
