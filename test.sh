#!/usr/bin/env bash
# Runs every test project (NUnit, with real cmake/gcc/make), then prints one line:
# "N passed, N failed, N skipped", summed over all test projects. The fresh-machine Release
# (category FreshMachine) runs first and alone; then the build host's tests, with the other
# projects beside them. Extra arguments go to dotnet test of the whole solution instead
# (e.g. ./test.sh --filter Name~Checkpoint).
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
results="$root/.btm/test-results"
rm -rf "$results"
mkdir -p "$results"

# The oldest Node the tools run on is package.json's engines.node (as for the build host's npm ci):
# an older one fails here, by name, instead of deep inside a test (Node 18 lacks the inspector's CustomEvent).
if command -v node >/dev/null; then
  node -e "$(cat <<'JS'
const floor = Number(/^>=\s*(\d+)/.exec(require(process.argv[1]).engines.node)[1]);
const have = process.versions.node;
if (Number(have.split(".")[0]) < floor) {
  console.error(`fail    node ${have} (${process.execPath}) is older than package.json's engines.node (>=${floor}) allows: ` +
    `install Node.js ${floor} or later (Debian 12's nodejs package is 18; .ci/install-node installs npm's pinned Node ${floor} into /usr/local, ` +
    `and NodeSource's or nvm's works too) and run again`);
  process.exit(1);
}
JS
)" "$root/package.json" || exit 1
else
  echo "fail    no node on PATH: the tests need Node.js and npm (package.json's engines.node); sudo .ci/install-node installs npm's pinned Node 20 into /usr/local" >&2
  exit 1
fi
# The node tools (verdaccio, ajv) come from package-lock.json; reinstall when it changed.
if [[ ! -f "$root/node_modules/.package-lock.json" || "$root/package-lock.json" -nt "$root/node_modules/.package-lock.json" ]]; then
  (cd "$root" && npm ci --no-audit --no-fund >/dev/null) || { echo "fail    npm ci failed" >&2; exit 1; }
fi
dotnet tool restore --tool-manifest "$root/dotnet-tools.json" >/dev/null || { echo "fail    dotnet tool restore failed" >&2; exit 1; }
status=0
test_projects="$(dotnet sln "$root/Btm.sln" list | grep '^tests/')"
if (( $# == 0 )); then
  # The fresh-machine Release first and alone: it uninstalls (and reinstalls) what the other tests use.
  dotnet test "$root/tests/Btm.Build.Tests" --nologo --filter "TestCategory=FreshMachine" --logger "trx;LogFileName=fresh-machine.trx" \
    --logger "console;verbosity=normal" --results-directory "$results" || status=$?
  # Then every project at once, built first so that no two test runs build the same project. The
  # build host's tests take most of the time and run in front; the others (minutes on a CPU the
  # first keeps busy) run beside them, their output shown when they end.
  if dotnet build "$root/Btm.sln" --nologo -v q; then
    others_log="$results/other-projects.log"
    (
      rc=0
      for project in $(grep -v 'Btm.Build.Tests' <<<"$test_projects"); do
        name="$(basename "$project" .csproj)"
        dotnet test "$root/$project" --no-build --nologo --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=normal" \
          --results-directory "$results" || rc=1
      done
      exit $rc
    ) >"$others_log" 2>&1 &
    others=$!
    dotnet test "$root/tests/Btm.Build.Tests" --no-build --nologo --filter "TestCategory!=FreshMachine" --logger "trx;LogFileName=Btm.Build.Tests.trx" \
      --logger "console;verbosity=normal" --results-directory "$results" || status=$?
    wait "$others" || status=1
    cat "$others_log"
  else
    status=1
  fi
else
  dotnet test "$root/Btm.sln" --nologo --logger "trx" --logger "console;verbosity=normal" --results-directory "$results" "$@" || status=$?
fi

passed=0 failed=0 skipped=0
shopt -s nullglob
trx_files=("$results"/*.trx)
for trx in "${trx_files[@]}"; do
  counters="$(grep -o '<Counters [^>]*>' "$trx" | head -1)"
  get() { sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$counters"; }
  passed=$((passed + $(get passed)))
  failed=$((failed + $(get failed) + $(get error) + $(get timeout) + $(get aborted)))
  # NUnit's Assert.Ignore lands as outcome NotExecuted, counted only as total - executed.
  skipped=$((skipped + $(get total) - $(get executed)))
done
# A project that did not build or crashed leaves no .trx: count it as a failure, never as silence.
if (( $# == 0 )); then
  for name in fresh-machine $(xargs -n1 basename <<<"$test_projects" | sed 's/\.csproj$//'); do
    if [[ ! -f "$results/$name.trx" ]]; then
      failed=$((failed + 1))
      echo "fail    $name produced no results (see the output above)" >&2
    fi
  done
else
  projects=$(grep -c . <<<"$test_projects")
  if (( ${#trx_files[@]} < projects )); then
    failed=$((failed + projects - ${#trx_files[@]}))
    echo "fail    $((projects - ${#trx_files[@]})) test project(s) produced no results (see the output above)" >&2
  fi
fi
echo "$passed passed, $failed failed, $skipped skipped"
if (( status != 0 || failed > 0 )); then
  exit 1
fi
