"""`make gpu-check` (bench/gpu_check.py) where there is no GPU: its message, its reading of nvidia-smi,
the extra it picks, and its epoch timing rehearsed on the strict backend."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import gpu_check  # noqa: E402

NVIDIA_SMI = """#!/bin/sh
if [ "$1" = "--query-gpu=name,driver_version" ]; then echo "NVIDIA H200, 580.95.05"; exit 0; fi
echo "| NVIDIA-SMI 580.95.05     Driver Version: 580.95.05     CUDA Version: 13.0     |"
"""


def _script(args, path):
    return subprocess.run([sys.executable, str(ROOT / "bench" / "gpu_check.py"), *args], capture_output=True,
                          text=True, env={"PATH": str(path)}, timeout=120, check=False)


def test_without_a_gpu_it_says_so_and_exits(tmp_path):
    done = _script([], tmp_path)  # a PATH with no nvidia-smi
    assert done.returncode == 0 and "no NVIDIA GPU here" in done.stdout and "--device strict" in done.stdout
    assert _script(["--require-gpu"], tmp_path).returncode == 1


def test_reads_the_gpu_and_its_cuda_version_from_nvidia_smi(tmp_path, monkeypatch):
    fake = tmp_path / "nvidia-smi"
    fake.write_text(NVIDIA_SMI)
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert gpu_check.find_gpu() == ("NVIDIA H200", (13, 0), "580.95.05")


def test_picks_the_extra_whose_cupy_matches_the_driver():
    for cuda, wheel in [((13, 0), "cupy-cuda13x"), ((13, 2), "cupy-cuda13x"), ((12, 4), "cupy-cuda12x")]:
        [requirement] = gpu_check.extra_requirements(gpu_check.gpu_extra(cuda))
        assert requirement.startswith(wheel + "[ctk]")
    assert gpu_check.gpu_extra((11, 8)) is None and gpu_check.gpu_extra(None) is None


@pytest.mark.slow
def test_epoch_timing_rehearsed_on_the_strict_backend(capsys):
    check = gpu_check.Check("strict", batches=1)
    check.epochs()
    rows = {row[0]: row for row in check.rows}
    for kind in ("mlp", "cnn"):
        for device in ("strict", "cpu"):
            assert rows[f"{kind} epoch: minitheano {device}"][1].endswith("s/epoch"), rows
        torch_row = rows[f"{kind} epoch: torch cuda"]
        assert torch_row[1] == "skipped" or torch_row[1].endswith("s/epoch"), torch_row
