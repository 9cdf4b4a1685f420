#!/usr/bin/python
# -*- coding: utf-8 -*-
# Apache-2.0 (see the dbgini repository)
"""Ansible module for dbgini: time-limited Domino notes.ini debug settings."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: dbgini
short_description: Switch Domino notes.ini debug settings on for a while, and back off again
description:
  - Runs the C(dbgini) command on the managed host to enable a debug profile as a time-limited lease
    (O(state=present)) or to revert it (O(state=absent)), keeping every other byte of notes.ini.
  - Idempotent. An active lease with the same profile, parameters and settings is not enabled twice.
  - Supports check mode (C(dbgini --dry-run)) and diff mode (the notes.ini before and after).
  - On a running server dbgini applies changes through the server console (O(mode=auto)).
version_added: "0.1.0"
author: dbgini developers
options:
  ini:
    description: Path of the server's notes.ini on the managed host.
    type: path
    required: true
  profile:
    description:
      - Profile name (C(router), C(lookup), C(smtp-inbound), C(smtp-outbound), C(tcp-resolver) or a
        custom one), or a path to a C(.toml) profile or a C(KEY=VALUE) snippet on the managed host.
      - With O(state=absent) and no profile, every active lease is reverted.
    type: str
  state:
    description: C(present) enables the profile, C(absent) reverts it.
    type: str
    choices: [present, absent]
    default: present
  duration:
    description: How long the lease lasts (C(2h), C(90m), C(1h30m)); the profile's default when omitted.
    type: str
  params:
    description:
      - "Profile parameters, e.g. C({dns-server: 192.0.2.53})."
      - Booleans become C(1) or C(0), numbers are written as they are.
    type: dict
    default: {}
  settings:
    description:
      - "Settings to set or override, e.g. C({SMTPDebug: 2})."
      - Booleans become C(1) or C(0) (notes.ini has no true or false), numbers are written as they are.
    type: dict
    default: {}
  reason:
    description: Why, e.g. a support case number; recorded in the lease and the audit log.
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
  allow_content_capture:
    description: Consent to settings that capture message contents (C(SMTPDebugIO=3) or C(4)).
    type: bool
    default: false
  binary:
    description: Path of the dbgini binary on the managed host.
    type: path
    default: dbgini
notes:
  - Every lease expires. Install enforcement on each host once with C(dbgini schedule install).
  - Removing a setting from a Domino Configuration Settings document is not a revert; use O(state=absent).
"""

EXAMPLES = r"""
- name: Router debug for two hours, for a support case
  dbgini.domino.dbgini:
    ini: /local/notesdata/notes.ini
    profile: router
    duration: 2h
    reason: "case TS012345"

- name: Point Domino at one DNS server while resolving DNS problems
  dbgini.domino.dbgini:
    ini: /local/notesdata/notes.ini
    profile: tcp-resolver
    params:
      dns-server: 192.0.2.53

- name: Revert it everywhere
  dbgini.domino.dbgini:
    ini: /local/notesdata/notes.ini
    profile: router
    state: absent
"""

RETURN = r"""
changed:
  description: Whether notes.ini or dbgini's state changed (in check mode, would change).
  returned: always
  type: bool
leases:
  description: Active leases afterwards (id, profile, created_at, expires_at, reason, settings, ...).
  returned: success
  type: list
  elements: dict
lease:
  description: The lease enabled (or already active) with O(state=present).
  returned: success, state=present
  type: dict
changes:
  description: Keys whose value changed, with C(before) and C(after) (null = absent).
  returned: success
  type: list
  elements: dict
console_commands:
  description: Console commands sent to a running server (or, in check mode, that would be sent).
  returned: success
  type: list
  elements: str
msg:
  description: dbgini's one-line summary, or its error and the fix.
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

from ansible.module_utils.basic import AnsibleModule

# dbgini's flags that are options of this module, as a message should name them here.
FLAGS = [
    ("pass --allow-content-capture", "set allow_content_capture: true"),
]


def text(value):
    """A module option's value as dbgini takes it: booleans as 1 or 0, numbers as written."""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def in_module_terms(msg):
    for flag, option in FLAGS:
        msg = msg.replace(flag, option)
    return msg


def build_command(p, binary, check_mode):
    cmd = [binary, "--json", "--ini", p["ini"], "--mode", p["mode"]]
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
        if p["reason"]:
            cmd += ["--reason", p["reason"]]
        if p["allow_content_capture"]:
            cmd.append("--allow-content-capture")
    else:
        cmd += ["revert"] + ([p["profile"]] if p["profile"] else ["--all"])
    if p["force"]:
        cmd.append("--force")
    if check_mode:
        cmd.append("--dry-run")
    return cmd


def main():
    module = AnsibleModule(
        argument_spec=dict(
            ini=dict(type="path", required=True),
            profile=dict(type="str"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            duration=dict(type="str"),
            params=dict(type="dict", default={}),
            settings=dict(type="dict", default={}),
            reason=dict(type="str"),
            force=dict(type="bool", default=False),
            mode=dict(type="str", choices=["auto", "file", "console"], default="auto"),
            allow_content_capture=dict(type="bool", default=False),
            binary=dict(type="path", default="dbgini"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    binary = p["binary"]
    if os.sep in binary:
        if not os.access(binary, os.X_OK):
            module.fail_json(msg="no dbgini at %s: install the dbgini package, or set binary to where it is" % binary)
    else:
        binary = module.get_bin_path(binary, required=True)
    cmd = build_command(p, binary, module.check_mode)
    if cmd is None:
        module.fail_json(msg="profile is required with state=present")

    rc, out, err = module.run_command(cmd)
    try:
        data = json.loads(out) if out.strip() else {}
    except ValueError:
        data = {}
    if rc != 0:
        msg = data.get("error") or err.strip() or "dbgini exited with %d" % rc
        # The cause (a BOM, a duplicate key) is in caused_by; the fix in help.
        for cause in data.get("caused_by", []):
            msg = "%s: %s" % (msg, cause)
        if data.get("help"):
            msg = "%s (%s)" % (msg, data["help"])
        msg = in_module_terms(msg)
        # Exit code 4: notes.ini was changed (an expired lease reverted, a console change left
        # unconfirmed) before the failure; Ansible must count the host as changed.
        module.fail_json(msg=msg, rc=rc, changed=bool(data.get("changed")), stdout=out,
                         stderr=err, cmd=cmd, dbgini=data)

    for w in data.get("warnings", []):
        module.warn(in_module_terms(w))
    diff = data.get("diff") or {}
    # The whole notes.ini twice is for diff mode only.
    returned = dict(data)
    if "diff" in returned and not module._diff:
        returned["diff"] = dict(unified=diff.get("unified", ""))
    result = dict(
        changed=bool(data.get("changed")),
        msg=data.get("msg", ""),
        leases=data.get("leases", []),
        changes=data.get("changes", []),
        console_commands=data.get("console_commands", []),
        dbgini=returned,
    )
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
