#!/usr/bin/env python3
"""Python's subprocess.communicate, as measured by bench-peers.

    communicate.py SCENARIO [--children N] [--stdin N] -- PROGRAM [ARGS...]

Each child is Popen(stdout=PIPE, stderr=PIPE, stdin=PIPE or DEVNULL), then
communicate(input=...) collects both streams in memory (on POSIX, one
thread polling the pipes with selectors, 32 KiB reads) and waits for the
child. One child per call, so `many` runs them one after another.

- bulk, many: stdout and stderr collected, then counted.
- duplex: --stdin N bytes of b"x" (communicate needs the input as one
  bytes object: N bytes in memory before the child starts).

Other scenarios are not run (communicate hands nothing over before the
end). Prints one key=value line, like the Rust peers (see
benches/src/peer.rs); exit 2 on bad usage or an unsupported scenario.
"""

import subprocess
import sys
import time

SCENARIOS = ("bulk", "duplex", "many")


def parse_size(text):
    """Bytes from 4096, 64K, 1M, 4G (powers of 1024), as parse_size does."""
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    text = text.strip().upper()
    for suffix in ("IB", "B"):
        if text.endswith(suffix) and len(text) > len(suffix):
            text = text[: -len(suffix)]
            break
    if text and text[-1] in units:
        return int(text[:-1]) * units[text[-1]]
    return int(text)


def parse_args(argv):
    """SCENARIO [--children N] [--stdin N] -- PROGRAM [ARGS...]."""
    if not argv:
        raise ValueError("missing SCENARIO")
    scenario, rest = argv[0], argv[1:]
    children, stdin_bytes = 1, 0
    while True:
        if not rest:
            raise ValueError("missing `-- PROGRAM`")
        flag = rest.pop(0)
        if flag == "--":
            break
        if not rest:
            raise ValueError(f"{flag} needs a value")
        value = parse_size(rest.pop(0))
        if flag == "--children":
            children = max(value, 1)
        elif flag == "--stdin":
            stdin_bytes = value
        elif flag in ("--stall-ms", "--output"):
            pass
        else:
            raise ValueError(f"unknown option {flag!r}")
    if not rest:
        raise ValueError("missing PROGRAM after --")
    return scenario, children, stdin_bytes, rest


def main():
    try:
        scenario, children, stdin_bytes, command = parse_args(sys.argv[1:])
    except ValueError as err:
        print(f"communicate.py: {err}", file=sys.stderr)
        return 2
    if scenario not in SCENARIOS:
        print(f"communicate.py: this peer does not run the {scenario} scenario",
              file=sys.stderr)
        return 2
    payload = b"x" * stdin_bytes if stdin_bytes else None
    failed = out_bytes = err_bytes = in_bytes = 0
    begin = time.perf_counter()
    for _ in range(children):
        proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE if payload is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        out, err = proc.communicate(input=payload)
        failed += proc.returncode != 0
        out_bytes += len(out)
        err_bytes += len(err)
        in_bytes += stdin_bytes
        del out, err
    seconds = time.perf_counter() - begin
    print(f"children={children} failed={failed} stdout_bytes={out_bytes} "
          f"stderr_bytes={err_bytes} stdin_bytes={in_bytes} seconds={seconds:.6f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
