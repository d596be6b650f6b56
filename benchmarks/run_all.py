"""Run every benchmark script in turn; exit 1 if any misses its target.

Usage::

    python benchmarks/run_all.py [--threads 2] [--quick]

``--quick`` runs each script on smaller data (for a smoke test, not for the figures of
docs/benchmarks.md). Extra arguments such as ``--device cuda`` are passed to the neural
benchmarks.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent

SCRIPTS = {
    "bench_encoder.py": {"quick": ["--n-samples", "200000", "--repeats", "3"], "neural": False},
    "bench_baselines.py": {"quick": [], "neural": False},
    "bench_train.py": {
        "quick": ["--n-samples", "20000", "--repeats", "1", "--skip-skorch"], "neural": True,
    },
    "bench_shared_trunk.py": {
        "quick": ["--n-samples", "5000", "--epochs", "3", "--repeats", "1"], "neural": True,
    },
    "bench_small_data.py": {
        "quick": ["--epochs", "2", "--ensemble-epochs", "1", "--repeats", "1", "--skip-shared"],
        "neural": True,
    },
    "bench_predict.py": {"quick": ["--n-samples", "200000", "--repeats", "1"], "neural": True},
    "bench_latency.py": {"quick": ["--repeats", "3", "--calls", "10"], "neural": True},
    "bench_startup.py": {"quick": ["--repeats", "1"], "neural": True},
    "bench_memmap_fit.py": {"quick": ["--tables", "carseats"], "neural": True},
    "bench_shard_batches.py": {"quick": ["--rows", "100000", "--repeats", "1"],
                               "neural": True},
    "bench_thresholds.py": {"quick": [], "neural": False},
    "bench_splitters.py": {"quick": ["--rows", "10000", "--repeats", "3"], "neural": False},
    "bench_wide_labels.py": {"quick": ["--repeats", "1", "--scale", "0.1"], "neural": False},
    "bench_probe_cost.py": {"quick": ["--rows", "600", "--classes", "400", "--epochs", "2"],
                            "neural": False},
    "bench_onnx.py": {
        "quick": ["--n-samples", "4000", "--epochs", "3", "--repeats", "3"], "neural": False,
    },
}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--device", default=None)
    args = p.parse_args()
    failed = []
    for script, spec in SCRIPTS.items():
        if not (HERE / script).exists():
            continue
        cmd = [sys.executable, str(HERE / script)]
        if args.quick:
            cmd += spec["quick"]
        if spec["neural"]:
            if args.threads:
                cmd += ["--threads", str(args.threads)]
            if args.device:
                cmd += ["--device", args.device]
        print(f"\n=== {script} {' '.join(cmd[2:])}", flush=True)
        start = time.perf_counter()
        status = subprocess.run(cmd, cwd=HERE).returncode
        print(f"=== {script}: {'ok' if status == 0 else 'MISSED TARGET'} "
              f"({time.perf_counter() - start:.0f} s)", flush=True)
        if status:
            failed.append(script)
    print(f"\n{len(SCRIPTS) - len(failed)} passed, {len(failed)} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
