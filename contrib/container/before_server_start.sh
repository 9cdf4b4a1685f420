#!/bin/sh
# Reverts expired dbgini leases before the Domino server reads notes.ini.
#
# HCL's Domino container runs /opt/domino-container/scripts/before_server_start.sh (when present)
# before it starts the server: install this file there (or call it from yours). The Nash!Com start
# script can run it the same way as its DOMINO_PRE_STARTUP_SCRIPT.
#
# The server is not running yet, so dbgini edits the file directly (--mode file). Whatever happens,
# the server starts: a failure is reported on stderr and the script exits 0.
#
#   DBGINI      the dbgini binary (default: dbgini on PATH, else /usr/bin/dbgini)
#   DBGINI_INI  the notes.ini (default: $DOMINO_DATA_PATH/notes.ini, else /local/notesdata/notes.ini)
dbgini=${DBGINI:-$(command -v dbgini 2>/dev/null || echo /usr/bin/dbgini)}
ini=${DBGINI_INI:-${DOMINO_DATA_PATH:-/local/notesdata}/notes.ini}
if [ ! -x "$dbgini" ]; then
  echo "before_server_start: dbgini not found at $dbgini; expired debug settings were not reverted" >&2
  exit 0
fi
if [ ! -f "$ini" ]; then
  echo "before_server_start: no notes.ini at $ini; nothing to revert" >&2
  exit 0
fi
if ! "$dbgini" --quiet --ini "$ini" --mode file expire; then
  echo "before_server_start: dbgini expire failed; the server starts anyway (run \`dbgini status\`)" >&2
fi
exit 0
