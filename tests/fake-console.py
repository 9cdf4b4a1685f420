#!/usr/bin/env python3
"""A stand-in for Domino's `server -c "<console command>"`, for dbgini's live-mode tests.

It runs in the data directory (as dbgini runs the console command) and acts on ./notes.ini the
way Domino does for `set config KEY=VALUE`: it rewrites the whole file, changes an existing key in
place keeping the key's own spelling, appends a new key at the end, and leaves `KEY=` for an empty
value. Every command is appended to $FAKE_LOG. Behaviour switches:

  FAKE_MODE=ok|never|fail   write (default), accept but never write, or exit 1
  FAKE_DELAY=SECONDS        return at once and write that much later (as a running server would)
  FAKE_CHURN=1              also rewrite the file the way a server does: change an unrelated key
                            and move the first key line to the end
  FAKE_ID_LOG=PATH          append who ran it: uid, gid, groups, HOME, working directory
"""
import os
import sys
import time


def log(cmd):
    path = os.environ.get("FAKE_LOG")
    if path:
        with open(path, "a") as f:
            f.write(cmd + "\n")


def rewrite(path, key, value, churn):
    data = open(path, "rb").read()
    eol = b"\r\n" if data.count(b"\r\n") * 2 > data.count(b"\n") else b"\n"
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    lines = [l[:-1] if l.endswith(b"\r") else l for l in lines]
    found = False
    for i, line in enumerate(lines):
        k, sep, _ = line.partition(b"=")
        if sep and k.strip().lower() == key.lower().encode():
            lines[i] = k.strip() + b"=" + value.encode()
            found = True
    if not found:
        lines.append(key.encode() + b"=" + value.encode())
    if churn:
        for i, line in enumerate(lines):
            if line.lower().startswith(b"servertasksat5="):
                lines[i] = b"ServerTasksAt5=Statlog,Compact"
        first = next(i for i, l in enumerate(lines) if b"=" in l)
        lines.append(lines.pop(first))
    tmp = path + ".fake-tmp"
    with open(tmp, "wb") as f:
        f.write(eol.join(lines) + eol)
    os.replace(tmp, path)


def log_id():
    path = os.environ.get("FAKE_ID_LOG")
    if path:
        groups = ",".join(str(g) for g in sorted(os.getgroups()))
        with open(path, "a") as f:
            f.write(f"{os.getuid()} {os.getgid()} {groups} {os.environ.get('HOME')} {os.getcwd()}\n")


def main():
    cmd = sys.argv[-1]
    log(cmd)
    log_id()
    mode = os.environ.get("FAKE_MODE", "ok")
    if mode == "fail":
        print("Server not responding", file=sys.stderr)
        return 1
    words = cmd.split(None, 2)
    if len(words) == 3 and words[0].lower() == "set" and words[1].lower() in ("config", "conf"):
        key, _, value = words[2].partition("=")
        if mode == "never":
            return 0
        delay = float(os.environ.get("FAKE_DELAY", "0"))
        if delay > 0 and os.fork() != 0:
            return 0
        time.sleep(delay)
        import fcntl
        with open("notes.ini.fake-lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # a server writes one change at a time
            rewrite("notes.ini", key.strip(), value, os.environ.get("FAKE_CHURN") == "1")
    return 0


sys.exit(main())
