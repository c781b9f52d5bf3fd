#!/usr/bin/env bash
# The note's faithfulness table (issue 10), not a test: every method's mean deletion AUC, insertion AUC and Average
# Drop over the 16 shared photos on the default model (top-1 class, 20 steps, zeros baseline), beside the three
# baseline maps, through `camstudio evaluate --baselines`. One CLI run per method, so a slow method that runs out of
# time (METHOD_TIMEOUT seconds, default 1800) is left out by name and the others still count.
# Usage: scripts/measure-metrics.sh OUT_DIR [method ...]   (default: every method the model offers)
#   A method may carry options, METHOD:name=value[,name=value] (e.g. sscam:samples=4): its row is labelled with them,
#   so a run with fewer samples than the method's default is never mistaken for the default.
# CAMSTUDIO_CLI = the camstudio binary to use (default: this worktree's Release build).
set -uo pipefail
cd "$(dirname "$0")/.."
out="${1:?usage: scripts/measure-metrics.sh OUT_DIR [method ...]}"
shift
shared="${CAMSTUDIO_SHARED:-$(cd .. && pwd)/shared}"
cli="${CAMSTUDIO_CLI:-CamStudio.Cli/bin/Release/net10.0/camstudio}"
limit="${METHOD_TIMEOUT:-1800}"
mkdir -p "$out/models"
export CAMSTUDIO_MODELS="$out/models"
[ -f "$out/models/mobilenetv2.onnx" ] || "$cli" models add "$shared/models/mobilenetv2-12-int8.onnx" \
  --labels "$shared/models/imagenet_classes.txt" --name mobilenetv2 >/dev/null
mapfile -t photos < <(find "$shared/images" -maxdepth 1 -type f \( -name '*.png' -o -name '*.jpg' -o -name '*.bmp' \) | sort)
methods=("$@")
[ ${#methods[@]} -gt 0 ] || methods=(cam gradcam gradcam++ xgradcam hirescam layercam eigencam gradcam-elementwise eigengradcam kpcacam fem finercam
  smoothgradcam++ scorecam-fast scorecam sscam iscam ablationcam)
echo "# $(date -u +%FT%TZ) ${#photos[@]} photos, load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/log.txt"
for spec in "${methods[@]}"; do
  method="${spec%%:*}"
  label="$method"; extra=()
  if [ "$spec" != "$method" ]; then
    label="$method (${spec#*:})"
    IFS=, read -ra pairs <<< "${spec#*:}"
    for pair in "${pairs[@]}"; do extra+=(--option "$pair"); done
  fi
  dir="$out/${label//[^A-Za-z0-9+=._-]/_}"
  [ -f "$dir/metrics.csv" ] && continue
  [ "$spec" = gradcam ] && extra+=(--baselines) # the baselines do not depend on the method: scored once
  started=$(date +%s)
  if timeout "$limit" "$cli" evaluate "${photos[@]}" --model mobilenetv2 --method "$method" --metrics deletion,insertion,drop \
      "${extra[@]}" --steps 20 --out "$dir" >"$dir.log" 2>&1; then
    echo "$label" > "$dir/label.txt"
    echo "$label: $(( $(date +%s) - started )) s, load $(cut -d' ' -f1 /proc/loadavg)" | tee -a "$out/log.txt"
  else
    echo "$label: LEFT OUT (exit $?, after $(( $(date +%s) - started )) s of at most $limit s)" | tee -a "$out/log.txt"
    rm -rf "${dir:?}"
  fi
done
/usr/bin/python3 - "$out" <<'PY'
import csv, glob, os, statistics, sys
out = sys.argv[1]
rows = {}
for path in sorted(glob.glob(os.path.join(out, "*", "metrics.csv"))):
    label_file = os.path.join(os.path.dirname(path), "label.txt")
    label = open(label_file).read().strip() if os.path.exists(label_file) else None
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            name = r["method"] if r["method"].startswith("baseline-") or label is None else label
            rows.setdefault(name, []).append(r)
def mean(rs, key):
    v = [float(r[key]) for r in rs if r[key] != ""]
    return (statistics.mean(v), statistics.stdev(v) if len(v) > 1 else 0.0, len(v)) if v else None
lines = ["| map | photos | deletion AUC ↓ | insertion AUC ↑ | Average Drop ↓ |", "|---|---:|---:|---:|---:|"]
order = sorted(rows, key=lambda m: (m.startswith("baseline-"), m))
for m in order:
    d, i, a = mean(rows[m], "deletion_auc"), mean(rows[m], "insertion_auc"), mean(rows[m], "avg_drop")
    cell = lambda s, pct=False: "—" if s is None else (f"{100*s[0]:.1f}% ± {100*s[1]:.1f}" if pct else f"{s[0]:.3f} ± {s[1]:.3f}")
    lines.append(f"| {m} | {len({r['photo'] for r in rows[m]})} | {cell(d)} | {cell(i)} | {cell(a, True)} |")
open(os.path.join(out, "table.md"), "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
