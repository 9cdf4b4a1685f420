#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dbgini developers
# SPDX-License-Identifier: Apache-2.0 (like dbgini; see LICENSE in the dbgini repository)
"""Ansible module for dbgini: time-limited Domino notes.ini debug settings."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: dbgini
short_description: Switch Domino notes.ini debug settings on for a while, and back off again
description:
  - Runs the C(dbgini) command on the managed host to enable a debug profile as a time-limited lease
    (O(state=present)), to revert it (O(state=absent)), or to read the leases without changing
    anything (O(state=status)), keeping every other byte of notes.ini.
  - Idempotent. An active lease with the same profile, parameters and settings is not enabled twice
    (unless O(extend=true), which gives it a new expiry).
  - Supports check mode (C(dbgini --dry-run)) and diff mode (the notes.ini before and after).
  - On a running server dbgini applies changes through the server console (O(mode=auto)).
  - Keys changed by hand since dbgini set them are reported in RV(drift) and as warnings, in every
    result.
version_added: "0.1.0"
author: dbgini developers (@dbgini)
requirements:
  - The C(dbgini) binary on the managed host (the .deb, .rpm or static binary of a dbgini release).
attributes:
  check_mode:
    support: full
    description: C(dbgini --dry-run) computes the change and writes nothing; O(state=status) reads only.
  diff_mode:
    support: full
    description: The whole notes.ini before and after is returned only in diff mode.
  platform:
    support: full
    platforms: posix
    description: Linux and other POSIX hosts; Windows hosts use C(ansible.windows.win_command) (see the playbooks).
options:
  ini:
    description: Path of the server's notes.ini on the managed host.
    type: path
    required: true
  profile:
    description:
      - Profile name (C(router), C(lookup), C(smtp-inbound), C(smtp-outbound), C(tcp-resolver) or a
        custom one), or a path to a C(.toml) profile or a C(KEY=VALUE) snippet on the managed host.
      - Required with O(state=present). With O(state=absent) and no profile, every active lease is
        reverted. Ignored with O(state=status).
    type: str
  state:
    description:
      - V(present) enables the profile, V(absent) reverts it.
      - V(status) changes nothing, even where a lease has expired (it is reported in RV(overdue) for
        the timer to revert); safe in check mode.
    type: str
    choices: [present, absent, status]
    default: present
  duration:
    description: How long the lease lasts (C(2h), C(90m), C(1h30m)); the profile's default when omitted.
    type: str
  extend:
    description:
      - With O(state=present), when the same lease is already active, give it a new expiry of
        O(duration) (or the profile's default) counted from now, instead of leaving it as it is.
      - This reports a change on every run, so it is not idempotent by design.
    type: bool
    default: false
  params:
    description:
      - "Profile parameters, for example C({dns-server: 192.0.2.53})."
      - Booleans become C(1) or C(0), numbers are written as they are.
    type: dict
    default: {}
  settings:
    description:
      - "Settings to set or override, for example C({SMTPDebug: 2})."
      - Booleans become C(1) or C(0) (notes.ini has no true or false), numbers are written as they are.
    type: dict
    default: {}
  allow_key:
    description:
      - Keys that define the server rather than debug it (C(Directory), C(ServerTasks), ...) that
        O(settings) or the profile may set. dbgini refuses them otherwise.
    type: list
    elements: str
    default: []
  reason:
    description: Why, for example a support case number; recorded in the lease and the audit log.
    type: str
  actor:
    description:
      - The person behind this change, recorded in the lease and the audit log with the user the
        module runs as (for example C(jdoe via ansible (sudo as root))).
      - "Set it from the controller, for example C(actor: \"{{ lookup('env', 'USER') }}\")."
    type: str
  force:
    description:
      - With O(state=absent), also put back keys that were changed by hand.
      - With O(mode=file), edit notes.ini even though the server runs.
    type: bool
    default: false
  mode:
    description: How changes reach the server (see C(dbgini --help)).
    type: str
    choices: [auto, file, console]
    default: auto
  console_cmd:
    description:
      - The program that passes one command to the server console, the command appended as its last
        argument (for example C(/opt/nashcom/startscript/rc_domino_script cmd) or
        C(docker exec -u notes domino /opt/hcl/domino/bin/server -c)).
      - dbgini's default (C($DBGINI_CONSOLE_CMD), its config file, else C(/opt/hcl/domino/bin/server -c))
        when omitted.
    type: str
  console_as:
    description:
      - Whose rights the console command runs with. V(owner) is the owner of notes.ini (the Domino
        user); V(caller) is the user the module runs as (for a command that switches user itself).
    type: str
    choices: [owner, caller]
  create_dirs:
    description: Create the debug output directory if it is missing (owned like the data directory).
    type: bool
    default: false
  max_growth:
    description: End the lease early when its log files grow by more than this (C(500MiB), C(2GiB)).
    type: str
  allow_content_capture:
    description: Consent to settings that capture message contents (C(SMTPDebugIO=3) or C(4)).
    type: bool
    default: false
  binary:
    description: Path of the dbgini binary on the managed host, or a name looked up in E(PATH).
    type: path
    default: dbgini
notes:
  - Every lease expires. Install enforcement on each host once with C(dbgini schedule install)
    (the collection's C(install-timer.yml) playbook does this).
  - Removing a setting from a Domino Configuration Settings document is not a revert; use O(state=absent).
  - notes.ini values are not secret as a rule, but the whole file is returned in diff mode; do not
    run with C(--diff) on a notes.ini that holds secrets you must not log.
"""

EXAMPLES = r"""
- name: Router debug for two hours, for a support case
  dbgini.domino.dbgini:
    ini: /local/notesdata/notes.ini
    profile: router
    duration: 2h
    reason: "case TS012345"
    actor: "{{ lookup('ansible.builtin.env', 'USER') }}"

- name: Point Domino at one DNS server while resolving DNS problems
  dbgini.domino.dbgini:
    ini: /local/notesdata/notes.ini
    profile: tcp-resolver
    params:
      dns-server: 192.0.2.53

- name: A server in a container, through its console
  dbgini.domino.dbgini:
    ini: /local/notesdata/notes.ini
    profile: smtp-inbound
    console_cmd: docker exec -u notes domino /opt/hcl/domino/bin/server -c
    console_as: caller

- name: What is active, overdue or changed by hand (changes nothing)
  dbgini.domino.dbgini:
    ini: /local/notesdata/notes.ini
    state: status
  register: dbgini_status

- name: Revert it everywhere
  dbgini.domino.dbgini:
    ini: /local/notesdata/notes.ini
    profile: router
    state: absent
"""

RETURN = r"""
leases:
  description: Active leases afterwards (id, profile, created_at, expires_at, reason, settings, ...).
  returned: success
  type: list
  elements: dict
lease:
  description: The lease enabled (or already active, or extended) with O(state=present).
  returned: success and O(state=present)
  type: dict
changes:
  description: Keys whose value changed, with C(before) and C(after) (null = absent).
  returned: success and O(state=present) or O(state=absent)
  type: list
  elements: dict
drift:
  description:
    - Managed keys changed by hand since dbgini set them (C(key), C(expected), C(found), C(original)),
      in every result; each is also a warning.
  returned: success
  type: list
  elements: dict
overdue:
  description: Ids of leases past their expiry, not yet reverted (O(state=status) does not revert them).
  returned: success and O(state=status)
  type: list
  elements: str
console_commands:
  description: Console commands sent to a running server (or, in check mode, that would be sent).
  returned: success
  type: list
  elements: str
msg:
  description: dbgini's one-line summary, or its error, its cause and the fix in module terms.
  returned: always
  type: str
dbgini:
  description:
    - The whole JSON object dbgini printed (its warnings are shown as Ansible warnings).
    - The whole notes.ini before and after (C(diff.before), C(diff.after)) only in diff mode.
  returned: always
  type: dict
"""

import json
import os
import re

from ansible.module_utils.basic import AnsibleModule

# dbgini's flags that are options of this module, as a message should name them here.
FLAGS = [
    ("--allow-content-capture", "allow_content_capture: true"),
    ("--allow-key", "allow_key"),
    ("--create-dirs", "create_dirs: true"),
    ("--max-growth", "max_growth"),
    ("--console-cmd", "console_cmd"),
    ("--console-as", "console_as"),
    ("--for", "duration"),
    ("--param", "params"),
    ("--set", "settings"),
]


def text(value):
    """A module option's value as dbgini takes it: booleans as 1 or 0, numbers as written."""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def in_module_terms(msg):
    """dbgini's message with its flags named as this module's options."""
    msg = re.sub(r"pass --allow-key ([A-Za-z0-9_$.-]+)", r"set allow_key: [\1]", msg)
    for flag, option in FLAGS:
        msg = msg.replace("pass " + flag, "set " + option).replace("`" + flag, "`" + option)
    return msg


def global_args(p, binary):
    cmd = [binary, "--json", "--ini", p["ini"], "--mode", p["mode"]]
    if p["console_cmd"]:
        cmd += ["--console-cmd", p["console_cmd"]]
    if p["console_as"]:
        cmd += ["--console-as", p["console_as"]]
    return cmd


def build_command(p, binary, check_mode):
    """The dbgini command line for the options, or None when a required option is missing."""
    cmd = global_args(p, binary)
    if p["state"] == "status":
        # --peek: no lock, no recovery, no expiry; an overdue lease is reported, not reverted.
        return cmd + ["status", "--peek"]
    if p["state"] == "present":
        if not p["profile"]:
            return None
        cmd += ["enable", p["profile"]]
        if p["duration"]:
            cmd += ["--for", p["duration"]]
        for name, value in sorted(p["params"].items()):
            cmd += ["--param", "%s=%s" % (name, text(value))]
        for key, value in sorted(p["settings"].items()):
            cmd += ["--set", "%s=%s" % (key, text(value))]
        for key in p["allow_key"]:
            cmd += ["--allow-key", key]
        if p["reason"]:
            cmd += ["--reason", p["reason"]]
        if p["allow_content_capture"]:
            cmd.append("--allow-content-capture")
        if p["create_dirs"]:
            cmd.append("--create-dirs")
        if p["max_growth"]:
            cmd += ["--max-growth", p["max_growth"]]
    else:
        cmd += ["revert"] + ([p["profile"]] if p["profile"] else ["--all"])
    if p["force"]:
        cmd.append("--force")
    if check_mode:
        cmd.append("--dry-run")
    return cmd


def run(module, cmd, env):
    """Runs dbgini; returns (rc, parsed JSON, stdout, stderr)."""
    rc, out, err = module.run_command(cmd, environ_update=env)
    try:
        data = json.loads(out) if out.strip() else {}
    except ValueError:
        data = {}
    return rc, data, out, err


def fail(module, cmd, rc, data, out, err, changed=False):
    msg = data.get("error") or err.strip() or "dbgini exited with %d" % rc
    # The cause (a BOM, a duplicate key) is in caused_by; the fix in help.
    for cause in data.get("caused_by", []):
        msg = "%s: %s" % (msg, cause)
    if data.get("help"):
        msg = "%s (%s)" % (msg, data["help"])
    # Exit code 4: notes.ini was changed (an expired lease reverted, a console change left
    # unconfirmed) before the failure; Ansible must count the host as changed.
    module.fail_json(msg=in_module_terms(msg), rc=rc, changed=changed or bool(data.get("changed")),
                     stdout=out, stderr=err, cmd=cmd, dbgini=data)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            ini=dict(type="path", required=True),
            profile=dict(type="str"),
            state=dict(type="str", choices=["present", "absent", "status"], default="present"),
            duration=dict(type="str"),
            extend=dict(type="bool", default=False),
            params=dict(type="dict", default={}),
            settings=dict(type="dict", default={}),
            allow_key=dict(type="list", elements="str", default=[], no_log=False),
            reason=dict(type="str"),
            actor=dict(type="str"),
            force=dict(type="bool", default=False),
            mode=dict(type="str", choices=["auto", "file", "console"], default="auto"),
            console_cmd=dict(type="str"),
            console_as=dict(type="str", choices=["owner", "caller"]),
            create_dirs=dict(type="bool", default=False),
            max_growth=dict(type="str"),
            allow_content_capture=dict(type="bool", default=False),
            binary=dict(type="path", default="dbgini"),
        ),
        required_if=[("state", "present", ["profile"])],
        supports_check_mode=True,
    )
    p = module.params
    binary = p["binary"]
    if os.sep in binary:
        if not os.access(binary, os.X_OK):
            module.fail_json(msg="no dbgini at %s: install the dbgini package, or set binary to where it is" % binary)
    else:
        binary = module.get_bin_path(binary, required=True)
    env = {"DBGINI_ACTOR": p["actor"]} if p["actor"] else {}
    cmd = build_command(p, binary, module.check_mode)
    if cmd is None:
        module.fail_json(msg="profile is required with state=present")

    rc, data, out, err = run(module, cmd, env)
    if rc == 1 and p["state"] == "status":
        rc = 0  # findings (overdue leases, drift) are the report, not a failure
    if rc != 0:
        fail(module, cmd, rc, data, out, err)
    changed = bool(data.get("changed")) and p["state"] != "status"

    if p["state"] == "present" and p["extend"] and data.get("already"):
        lease = data.get("lease") or {}
        if module.check_mode:
            changed = True
            data["msg"] = "lease %s (%s) would be extended" % (lease.get("id"), lease.get("profile"))
        else:
            ext = global_args(p, binary) + ["extend", lease.get("id", p["profile"])]
            if p["duration"]:
                ext += ["--for", p["duration"]]
            rc, extended, out, err = run(module, ext, env)
            if rc != 0:
                fail(module, ext, rc, extended, out, err, changed=changed)
            changed = True
            data["msg"] = extended.get("msg", data.get("msg", ""))
            data["leases"] = extended.get("leases", data.get("leases", []))
            data["lease"] = extended.get("lease", lease)
            data.setdefault("warnings", []).extend(extended.get("warnings", []))

    for w in data.get("warnings", []):
        module.warn(in_module_terms(w))
    diff = data.get("diff") or {}
    # The whole notes.ini twice is for diff mode only.
    returned = dict(data)
    if "diff" in returned and not module._diff:
        returned["diff"] = dict(unified=diff.get("unified", ""))
    result = dict(
        changed=changed,
        msg=data.get("msg", ""),
        leases=data.get("leases", []),
        drift=data.get("drift", []),
        console_commands=data.get("console_commands", []),
        dbgini=returned,
    )
    if p["state"] == "status":
        result["overdue"] = data.get("overdue", [])
        result["msg"] = "%d active lease(s), %d overdue, %d hand change(s)" % (
            len(result["leases"]), len(result["overdue"]), len(result["drift"]))
    else:
        result["changes"] = data.get("changes", [])
    if "lease" in data:
        result["lease"] = data["lease"]
    if module._diff and diff.get("before") != diff.get("after"):
        result["diff"] = dict(
            before=diff.get("before", ""),
            after=diff.get("after", ""),
            before_header=p["ini"],
            after_header="%s (dbgini)" % p["ini"],
        )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
