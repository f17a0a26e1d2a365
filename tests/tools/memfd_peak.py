#!/usr/bin/env python3
"""memfd_peak.py COMMAND...

Runs COMMAND and, until it exits, samples the memory of the in-memory file each linreg_mpi
process holds for several inputs (the memfd named linreg_mpi-input: its allocated blocks,
from /proc/PID/fd), every millisecond. Prints "SAMPLES PEAK_BYTES TEXT_BYTES": how many
samples saw such a file, the most memory one held, and the largest size one reached (the
text written). Exits with COMMAND's status."""
import os, subprocess, sys, time

p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
samples = peak = size = 0
while p.poll() is None:
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            if open(f"/proc/{pid}/comm").read().strip() != "linreg_mpi":
                continue
            for fd in os.listdir(f"/proc/{pid}/fd"):
                link = f"/proc/{pid}/fd/{fd}"
                if "linreg_mpi-input" not in os.readlink(link):
                    continue
                st = os.stat(link)
                samples += 1
                peak = max(peak, st.st_blocks * 512)
                size = max(size, st.st_size)
        except OSError:  # the process or the descriptor went away
            pass
    time.sleep(0.001)
print(samples, peak, size)
sys.exit(p.returncode)
