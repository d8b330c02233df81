# Shared by the bench scripts, sourced once they are at the repository root and have a log().
# need CMD...: installs the Debian packages of the commands missing here (wrk, nginx and curl are
# each their command's package), so that a script runs on a fresh machine.
need() {
  local missing=()
  for c in "$@"; do command -v "$c" >/dev/null || missing+=("$c"); done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}
