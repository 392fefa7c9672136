#!/bin/sh
# kill-in-save.sh READY LOG CMD...: runs CMD (a `dlc train` with
# DLC_TEST_PAUSE_IN_SAVE=<epoch>:READY in its environment) in the
# background with its output in LOG, waits until it has paused in the middle
# of writing that checkpoint (READY then names the temporary file), and
# kills it with SIGKILL. Fails if CMD exits first or never pauses (60 s).
ready=$1 log=$2
shift 2
rm -f "$ready"
"$@" > "$log" 2>&1 &
pid=$!
i=0
while [ ! -f "$ready" ]; do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "kill-in-save: the command exited before pausing in a save:"
    cat "$log"
    exit 1
  fi
  i=$((i + 1))
  if [ "$i" -gt 600 ]; then
    kill -KILL "$pid"
    echo "kill-in-save: no pause in 60 s"
    exit 1
  fi
  sleep 0.1
done
kill -KILL "$pid"
wait "$pid"
status=$?
if [ "$status" -ne 137 ]; then
  echo "kill-in-save: exit status $status, expected 137 (SIGKILL)"
  exit 1
fi
echo "killed in the save of $(cat "$ready")"
