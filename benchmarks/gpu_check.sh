#!/usr/bin/env bash
# GPU check for a lent GPU machine (PyTorch with CUDA, onnx, onnxruntime CPU; no TensorRT, no
# internet, the repository copied as a working tree, nothing installed). Under 8 minutes:
#   1. the tests marked `gpu` (pytest when present, else the same checks as a script);
#   2. the bench table: torch eager fp32/fp16, CUDA graphs, TensorRT where present (one call);
#   3. torch.compile fp32/fp16 (a separate call: compiling takes the longest, and a timeout
#      there must not lose the table above).
# Installs nothing. Every phase has its own time limit. Figures: mobilenet_v2 at 448 px with
# random weights (as fast as a trained one), inputs and outputs kept on the GPU (--device-io).
#
#   bash benchmarks/gpu_check.sh               # on the GPU machine
#   bash benchmarks/gpu_check.sh --cpu-smoke   # here: the same steps on CPU with a tiny model
#
# JSON results go to $OUT/gpu_check/ ($OUT is the folder that comes back from the machine;
# /tmp/gpu_check otherwise).
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONDONTWRITEBYTECODE=1
PY="${PYTHON:-python3}"
started=$SECONDS
results="${OUT:-/tmp}/gpu_check"
mkdir -p "$results"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [ "${1:-}" = "--cpu-smoke" ]; then
  mode=cpu; device=cpu; backbone=tiny; size=64; batches=1,2; runs=3; max_s=2
  tests_limit=120; bench_limit=120; compile_limit=240
else
  mode=gpu; device=cuda; backbone=mobilenet_v2; size=448; batches=1,8,32; runs=30; max_s=5
  tests_limit=150; bench_limit=100; compile_limit=180
fi

phase() { echo; echo "== $* ($((SECONDS - started)) s)"; }
has() { "$PY" -c "import $1" >/dev/null 2>&1; }

phase "environment"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
"$PY" - <<'EOF'
import importlib.util, platform
import torch
print(f"python {platform.python_version()}, torch {torch.__version__}, cuda {torch.version.cuda}, "
      f"gpu: {torch.cuda.get_device_name() if torch.cuda.is_available() else 'none'}")
for name in ("onnx", "onnxruntime", "tensorrt", "pytest", "PIL", "typer", "rich"):
    found = importlib.util.find_spec(name) is not None
    print(f"  {name:<12} {'yes' if found else 'no'}")
EOF
if [ "$mode" = gpu ] && ! "$PY" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)"; then
  echo "no CUDA device visible to torch: nothing to check here (use --cpu-smoke on a CPU machine)"
  exit 1
fi
failures=0

phase "tests marked gpu (limit ${tests_limit} s)"
if has pytest; then
  timeout "$tests_limit" "$PY" -m pytest -q -m gpu -p no:cacheprovider -rs \
    tests/export/test_gpu.py tests/export/test_tensorrt.py || failures=$((failures + 1))
else
  echo "(pytest is not installed: running the same checks as a script)"
  timeout "$tests_limit" "$PY" tests/export/test_gpu.py || failures=$((failures + 1))
fi

phase "model for the bench: $backbone at ${size} px, random weights, ONNX export verified"
"$PY" - "$backbone" "$size" "$work" <<'EOF' || { echo "could not make the bench model"; exit 1; }
import sys
from pathlib import Path
from redactor.exporters.bench import make_bench_models
for path in make_bench_models(sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])):
    print(path)
EOF
models=("$work/$backbone.pt")
backends=torch,torch-cudagraph
if [ "$mode" = cpu ]; then
  models+=("$work/$backbone.onnx"); backends=torch,torch-cudagraph,onnxruntime
elif "$PY" -c "import onnxruntime as o, sys; sys.exit(0 if {'CUDAExecutionProvider','TensorrtExecutionProvider'} & set(o.get_available_providers()) else 1)"; then
  models+=("$work/$backbone.onnx"); backends="$backends,onnxruntime"
fi
if has tensorrt; then
  phase "TensorRT engine (fp16, profile 1:8:32)"
  if timeout 240 "$PY" - "$work/$backbone.pt" "$work/${backbone}_fp16.engine" <<'EOF'
import sys
from redactor.exporters.export import export
from redactor.exporters.formats import ExportOptions
result = export(sys.argv[1], "tensorrt", sys.argv[2], ExportOptions(fp16=True, batch=(1, 8, 32)))
print("\n".join(result.parity.lines()))
EOF
  then models+=("$work/${backbone}_fp16.engine"); backends="$backends,tensorrt"
  else failures=$((failures + 1)); fi
else
  echo "(TensorRT is not installed: no engine rows)"
fi

phase "bench: $backends, fp32 and fp16, batches $batches (limit ${bench_limit} s)"
timeout "$bench_limit" "$PY" -m redactor.exporters.bench --model "${models[@]}" --backend "$backends" \
  --precision fp32,fp16 --batch "$batches" --device "$device" --device-io --runs "$runs" \
  --max-seconds "$max_s" --json "$results/bench.json" || failures=$((failures + 1))

phase "bench: torch.compile fp32 and fp16 (limit ${compile_limit} s)"
timeout "$compile_limit" "$PY" -m redactor.exporters.bench --model "$work/$backbone.pt" --backend torch-compile \
  --precision fp32,fp16 --batch "$batches" --device "$device" --device-io --runs "$runs" \
  --max-seconds "$max_s" --json "$results/bench_compile.json" || failures=$((failures + 1))

phase "done: $failures failed phase(s)"
exit $((failures > 0))
