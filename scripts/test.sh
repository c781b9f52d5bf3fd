#!/usr/bin/env bash
# Runs the whole CamStudio test suite: unit, integration and end-to-end (Debian's Chromium) tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --with-browser --with-services
results="$(pwd)/artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"
# The engine is also a library: the package tests read what this packs.
rm -rf artifacts/packages
dotnet pack CamStudio.Engine/CamStudio.Engine.csproj -c Release --no-build -nologo -v q -o artifacts/packages
# Tests keep their models folder and data away from the user's.
export CAMSTUDIO_MODELS="$results/models"
# The tiny seeded models the engine tests load are generated here, not committed (skipped when up to date).
scripts/make-test-models.sh artifacts/test-models
export CAMSTUDIO_TEST_MODELS="$(pwd)/artifacts/test-models"
status=0
# One test project per part of the source, so an engine change can be tested without the browser:
# dotnet test CamStudio.Tests (engine), CamStudio.Cli.Tests, CamStudio.Web.Tests, CamStudio.EndToEnd.Tests (Chromium, and one
# request through several front ends), CamStudio.Cluster.Tests (the job store on SQLite and PostgreSQL, workers on
# Orleans with Redis: throwaway servers from the Debian packages, started by the tests).
passed=0; failed=0
# Measurements (Category=Measurement, e.g. the studio timings) are benchmarks, run by their own scripts.
for project in CamStudio.Tests CamStudio.Cli.Tests CamStudio.Web.Tests CamStudio.EndToEnd.Tests CamStudio.Cluster.Tests; do
  dotnet test "$project/$project.csproj" -c Release --no-build -nologo --filter "Category!=Measurement" \
    --blame-hang-timeout 10m --blame-hang-dump-type none \
    --logger "trx;LogFileName=$project.trx" --logger "console;verbosity=normal" \
    --results-directory "$results" || status=$?
  trx="$results/$project.trx"
  if [ -f "$trx" ]; then
    passed=$((passed + $(grep -o 'passed="[0-9]*"' "$trx" | head -1 | grep -o '[0-9]*')))
    failed=$((failed + $(grep -o 'failed="[0-9]*"' "$trx" | head -1 | grep -o '[0-9]*')))
  else
    echo "test.sh: $project wrote no results" >&2
    status=1
  fi
done
echo "tests: $passed passed, $failed failed"
# The names and messages of failed tests last, so the tail of a long CI log says what failed.
if [ "$failed" -gt 0 ]; then
  /usr/bin/python3 - "$results"/*.trx <<'PY'
import sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
for path in sys.argv[1:]:
    for result in ET.parse(path).getroot().iterfind(".//t:UnitTestResult[@outcome='Failed']", ns):
        message = result.findtext(".//t:Message", default="", namespaces=ns).strip()
        trace = result.findtext(".//t:StackTrace", default="", namespaces=ns).strip().splitlines()[:6]
        print(f"FAILED {result.get('testName')} ({result.get('duration')})\n  {message[:1500]}")
        print("\n".join("  " + line for line in trace))
PY
fi
exit $status
