#!/usr/bin/env bash
# BTM's Publish ÷ sequential `npm publish` of the same tarballs (N components, each one platform
# package + one wrapper), each against a fresh verdaccio, one run. Goal: <= 0.5 for N = 6.
# Both registries use JWT API tokens, as BTM's local registry does: with verdaccio's legacy tokens
# every authenticated request costs a bcrypt check (~65 ms), which would dominate both sides.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
n="${1:-6}"
work="$(mktemp -d)"
# start_registry runs in a subshell, so registries are remembered in pid files, not a variable.
cleanup() { for f in "$work"/*/verdaccio.pid; do [[ -f "$f" ]] && kill "$(cat "$f")" 2>/dev/null; done; rm -rf "$work"; }
trap cleanup EXIT
cd "$root"
[[ -x node_modules/.bin/verdaccio ]] || npm ci --no-audit --no-fund >/dev/null
./build.sh --target=Build --verbosity=quiet >/dev/null

echo "info    packaging a scratch repo with $n components (one platform package + one wrapper each)" >&2
box="$work/box"
mkdir -p "$box/packages"
printf '[Btm]\nScope=@bench\nVersion=1.0.0\n' > "$box/cake.config"
for ((i = 1; i <= n; i++)); do
  d="$box/packages/tool$i"; mkdir -p "$d/src"
  printf '{"name":"tool%s","description":"bench tool %s","builder":"make","binaries":["tool%s"],"inputs":["Makefile","src/**"]}\n' "$i" "$i" "$i" > "$d/btm.json"
  printf 'all:\n\t$(CC) -O2 -DVERSION=\\"$(BTM_VERSION)\\" -o $(BTM_OUT_DIR)/tool%s src/main.c\n' "$i" > "$d/Makefile"
  printf '#include <stdio.h>\nint main(void) { printf("tool%s %%s\\n", VERSION); return 0; }\n' "$i" > "$d/src/main.c"
done
(cd "$box" && git init -q && git add -A && git -c user.email=b@b -c user.name=b commit -qm bench)
dotnet "$root/.btm/host/Btm.Build.dll" --root="$box" --target=Package --verbosity=quiet >/dev/null
tarballs=("$box"/artifacts/1.0.0/npm/*.tgz)

start_registry() {  # $1: folder; prints url and token
  local dir="$1" port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  mkdir -p "$dir"
  cat > "$dir/config.yaml" <<YAML
storage: $dir/storage
auth: { htpasswd: { file: $dir/htpasswd, max_users: 1000 } }
uplinks: {}
packages: { '@*/*': { access: \$all, publish: \$authenticated, unpublish: \$authenticated } }
security: { api: { legacy: false, jwt: { sign: { expiresIn: 1d } } } }
log: { type: stdout, format: pretty, level: error }
YAML
  node_modules/.bin/verdaccio --config "$dir/config.yaml" --listen "127.0.0.1:$port" >"$dir/log" 2>&1 &
  echo $! > "$dir/verdaccio.pid"
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/-/ping" >/dev/null && break; sleep 0.1; done
  local token
  token=$(curl -s -XPUT -H 'content-type: application/json' -d '{"name":"bench","password":"bench-password"}' \
    "http://127.0.0.1:$port/-/user/org.couchdb.user:bench" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
  printf '//127.0.0.1:%s/:_authToken=%s\n' "$port" "$token" > "$dir/npmrc"
  echo "http://127.0.0.1:$port $token"
}

read -r url_seq _ < <(start_registry "$work/seq")
start=$(date +%s.%N)
for t in "${tarballs[@]}"; do
  npm publish "$t" --registry "$url_seq" --userconfig "$work/seq/npmrc" --tag latest --no-audit --no-fund >/dev/null 2>&1
done
seq_s=$(python3 -c "import time; print(time.time() - $start)")

read -r url_btm token_btm < <(start_registry "$work/btm")
start=$(date +%s.%N)
NPM_TOKEN="$token_btm" dotnet "$root/.btm/host/Btm.Build.dll" --root="$box" --target=Publish --registry="$url_btm" --allow-unsigned --verbosity=quiet >"$work/btm.log" 2>&1 || { cat "$work/btm.log"; exit 1; }
btm_s=$(python3 -c "import time; print(time.time() - $start)")

python3 - <<PY
seq, btm, n = $seq_s, $btm_s, $n
print(f"tarballs: {n} platform packages + {n} wrappers")
print(f"sequential npm publish: {seq:.2f} s")
print(f"btm Publish (preflight, parallel publish, confirm, fresh install + run, tags): {btm:.2f} s")
print(f"ratio btm/sequential: {btm/seq:.2f} (goal <= 0.5)")
PY
