# Shared by scripts/setup-contenders and scripts/setup-container (sourced, not run).
#
# `quiet CMD...` runs a step with its output hidden (shown, last 40 lines, only when it
# fails). A long step would otherwise print nothing for minutes (cargo install oha takes
# several on 2 cores; debootstrap about one): every PRIMEBENCH_SETUP_HEARTBEAT_S seconds
# (default 30) it prints that the step is still running and for how long, and a step that
# took longer than that says when it is done. A user who sees the time grow does not
# take a slow compile for a hang (issue 19).

log() { printf '[setup] %s\n' "$*" >&2; }
warn() { printf '[setup] warning: %s\n' "$*" >&2; }

# "1 min 05 s" / "42 s"
elapsed_words() {
  local s=$1
  if [ "$s" -ge 60 ]; then
    printf '%d min %02d s' $((s / 60)) $((s % 60))
  else
    printf '%d s' "$s"
  fi
}

quiet() {
  local out rc pid started every next what
  out=$(mktemp)
  every=${PRIMEBENCH_SETUP_HEARTBEAT_S:-30}
  what="$*"
  what=${what:0:60}
  started=$SECONDS
  next=$((started + every))
  "$@" <&0 >"$out" 2>&1 & # <&0: the step keeps the pipe it is given
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$SECONDS" -ge "$next" ]; then
      log "... $what: still running, $(elapsed_words $((SECONDS - started))) so far"
      next=$((next + every))
    fi
    sleep 1 & wait $! # a plain sleep would delay the first signal's trap by up to 1 s
  done
  wait "$pid"
  rc=$?
  if [ $((SECONDS - started)) -ge "$every" ]; then
    log "... $what: finished after $(elapsed_words $((SECONDS - started)))"
  fi
  if [ $rc -ne 0 ]; then
    tail -n 40 "$out" >&2
  fi
  rm -f "$out"
  return $rc
}
