#!/usr/bin/env bash
# Runs tools/runtime_smoke.ts on Deno, Bun and Node 24 and compares each check with the README's
# "Runtimes" table. It fails (exit 1) only when a check the README marks ✅ fails, when a check
# marked ❌ fails without naming the runtime or by hanging, or when a runtime's run ends early;
# a runtime that cannot be installed is skipped, said so. A ❌ check that passes is reported so
# that the README can be updated.
#
#   tools/runtime_smoke.sh              # Deno (if on PATH), then Bun and Node 24 from npm
#
# Environment: DENO, BUN, NODE24 name the commands to use (DENO may have arguments, e.g.
# "npx -y deno@2.9.6"); RUNTIMES_CACHE is where Bun and Node 24 are installed from npm
# (default ~/.cache/tandem-runtimes, reused by later runs); RUNTIMES_TIMEOUT bounds each run (s).
#
# Bun and Node do not read deno.json, so they run the checks from a temporary copy of the sources
# with a package.json that maps `@tandem/tandem/*` as deno.json's "exports" do (a package may
# import itself by name). Nothing is written to the repository.
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${RUNTIMES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tandem-runtimes}
export NO_COLOR=1 NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
run_seconds=${RUNTIMES_TIMEOUT:-60}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
problems=0

say() { echo "runtimes: $*"; }

# The README's verdict for a check on a runtime column (2 Deno, 3 Bun, 4 Node): "yes" or "no".
expected() {
  local name=$1 column=$2 row cell
  row=$(grep -F "| \`$name\`" "$repo/README.md" | head -n 1)
  if [ -z "$row" ]; then
    echo "unlisted"
    return
  fi
  cell=$(awk -F'|' -v c="$((column + 2))" '{ print $c }' <<<"$row")
  if grep -q "✅" <<<"$cell"; then echo yes; else echo no; fi
}

# Runs the smoke script with "$@" in directory $dir; compares with README column $column.
smoke() {
  local label=$1 column=$2 dir=$3 word=$4
  shift 4
  local out="$work/$label.out" line name verdict message ok=0 documented=0 unexpected=0
  (cd "$dir" && timeout -k 5 "$run_seconds" "$@" tools/runtime_smoke.ts) >"$out" 2>"$work/$label.err"
  local status=$?
  sed "s/^/  [$label] /" "$out"
  if ! grep -q '^summary ' "$out"; then
    say "$label: the smoke script did not finish (exit $status)"
    sed "s/^/  [$label stderr] /" "$work/$label.err" | tail -n 20
    problems=$((problems + 1))
    return
  fi
  while IFS= read -r line; do
    case $line in
      ok\ *)
        name=${line#ok }
        verdict=$(expected "$name" "$column")
        ok=$((ok + 1))
        if [ "$verdict" != yes ]; then
          say "$label: $name passes but the README says it does not: update the README"
        fi
        ;;
      fail\ *)
        name=${line#fail }
        name=${name%%: *}
        message=${line#fail "$name": }
        verdict=$(expected "$name" "$column")
        if [ "$verdict" = yes ] || [ "$verdict" = unlisted ]; then
          say "$label: UNEXPECTED failure of $name (the README says it works)"
          unexpected=$((unexpected + 1))
        elif grep -q 'hung:' <<<"$message" || ! grep -qi "$word" <<<"$message"; then
          say "$label: $name fails, as documented, but not at once with an error naming $word"
          unexpected=$((unexpected + 1))
        else
          documented=$((documented + 1))
        fi
        ;;
    esac
  done <"$out"
  problems=$((problems + unexpected))
  say "$label: $ok ok, $documented fail as the README says, $unexpected unexpected"
}

# Installs npm package $2 into $cache/$1 unless $3 (a path under it) already exists.
install() {
  local dir="$cache/$1" package=$2 binary="$cache/$1/$3"
  if [ ! -x "$binary" ]; then
    mkdir -p "$dir"
    npm install --silent --no-save --prefix "$dir" "$package" >"$work/install-$1.log" 2>&1 ||
      { sed 's/^/    /' "$work/install-$1.log" | tail -n 5 >&2; return 1; }
  fi
  [ -x "$binary" ] && echo "$binary"
}

# The copy that Bun and Node run.
copy="$work/tandem"
mkdir -p "$copy"
tar -C "$repo" --exclude=./.git --exclude=./node_modules --exclude=./dist --exclude=./tests \
  --exclude=./bench --exclude=./demo -cf - . | tar -C "$copy" -xf -
node -e '
  const fs = require("fs");
  const { name, exports } = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
  const pkg = { name, private: true, type: "module", exports };
  fs.writeFileSync(process.argv[2], JSON.stringify(pkg, null, 2));
' "$repo/deno.json" "$copy/package.json" || { say "could not write package.json"; exit 1; }

# Deno runs the repository itself.
read -r -a deno <<<"${DENO:-deno}"
if "${deno[@]}" --version >/dev/null 2>&1; then
  smoke deno 1 "$repo" Deno "${deno[@]}" run -A
else
  say "deno: skipped (not on PATH; set DENO)"
fi

case $(uname -m) in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) arch=unknown ;;
esac
os=$(uname -s | tr '[:upper:]' '[:lower:]')

bun=${BUN:-}
if [ -z "$bun" ]; then bun=$(install bun bun@1 node_modules/.bin/bun) || bun=""; fi
if [ -n "$bun" ] && "$bun" --version >/dev/null 2>&1; then
  smoke bun 2 "$copy" Bun "$bun"
else
  say "bun: skipped (bun@1 could not be installed from npm)"
fi

node24=${NODE24:-}
if [ -z "$node24" ] && command -v node >/dev/null &&
  [ "$(node -p 'process.versions.node.split(".")[0]')" -ge 24 ] 2>/dev/null; then
  node24=$(command -v node)
fi
if [ -z "$node24" ]; then
  node24=$(install node24 "node-$os-$arch@24" "node_modules/node-$os-$arch/bin/node") || node24=""
fi
if [ -n "$node24" ] && "$node24" --version >/dev/null 2>&1; then
  smoke node 3 "$copy" Node "$node24"
else
  say "node: skipped (node-$os-$arch@24 could not be installed from npm)"
fi

if [ "$problems" -ne 0 ]; then
  say "$problems problem(s): see above"
  exit 1
fi
say "every check matches the README"
