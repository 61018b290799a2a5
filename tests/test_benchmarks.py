"""Benchmarks are not tests: CI only checks that each script runs in its tiny configuration."""
import subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize('script', ['bench_core.py', 'bench_train.py'])
def test_benchmark_runs_tiny(script):
    path = ROOT/'benchmarks'/script
    if not path.exists(): pytest.fail(f'{path} is missing')
    r = subprocess.run([sys.executable, str(path), '--tiny'], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    assert 'ratio' in r.stdout.lower() or '%' in r.stdout
