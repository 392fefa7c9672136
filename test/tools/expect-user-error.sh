#!/bin/sh
# Runs a command that must fail as a user error: exit code exactly 1 and
# nothing on stdout. Prints the command's stderr for FileCheck.
out=$(mktemp) err=$(mktemp)
"$@" >"$out" 2>"$err"
rc=$?
cat "$err"
status=0
if [ "$rc" -ne 1 ]; then
  echo "expect-user-error: exit code $rc, expected 1"
  status=1
fi
if [ -s "$out" ]; then
  echo "expect-user-error: stdout is not empty:"
  cat "$out"
  status=1
fi
rm -f "$out" "$err"
exit $status
