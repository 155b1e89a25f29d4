"""Fault trials: cancel training at random points, and kill the process during a save.

    python benchmarks/fault_trials.py --cancel 20 --kill 20 [--json]

After every trial the folder must hold exactly the previous model, intact (same sha256, loads with
safe_mode), and no other model file: a cancelled training writes no model, and a save killed at any
instant leaves either the old or the new complete file. A training cancelled after its first epoch also
leaves its checkpoint, which must hold exactly the epochs it finished (and is removed before the next trial).
"""

import argparse
import json
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from desktop_cvae import checkpoint
from desktop_cvae.config import ModelConfig
from desktop_cvae.data import load_sample
from desktop_cvae.storage import load_model, save_model, sha256_file
from desktop_cvae.train import TrainingCancelled, train_and_save

CHILD = r"""
import sys, time
from desktop_cvae import checkpoint
from desktop_cvae.config import ModelConfig
from desktop_cvae.model import build_model
from desktop_cvae.storage import save_model
model = build_model(ModelConfig(arch="deepconv", latent_dim=16, seed=int(sys.argv[2])))
print("saving", flush=True)
while True:  # save again and again until killed
    save_model(model, sys.argv[1], {"trial": sys.argv[2]})
"""


def model_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix == ".keras" and not p.name.startswith("."))


def check(folder: Path, target: Path, old_sha: str | None) -> str:
    files = model_files(folder)
    if files != [target]:
        return f"unexpected model files: {[p.name for p in files]}"
    try:
        load_model(target)
    except Exception as e:
        return f"corrupt: {e}"
    if old_sha is not None and sha256_file(target) != old_sha:
        return "previous model changed"
    return ""


def check_checkpoint(target: Path, finished: int) -> str:
    """The checkpoint a cancel leaves: none before the first epoch ends, else one of the finished epochs."""
    path = checkpoint.checkpoint_path(target)
    if not path.exists():
        return "" if finished == 0 else f"no checkpoint after {finished} finished epochs"
    try:
        done = checkpoint.read_state(path).epochs_done
    except checkpoint.CheckpointError as e:
        return f"checkpoint: {e}"
    path.unlink()  # trials are independent: the next one trains anew
    return "" if done == finished else f"the checkpoint holds {done} epochs, {finished} were finished"


def cancel_trials(n: int, rng: random.Random) -> dict:
    data = load_sample()
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        target = folder / "previous.keras"
        cfg = ModelConfig(arch="mlp", latent_dim=2, epochs=3, batch_size=50, seed=0)
        train_and_save(cfg, data, target)
        sha = sha256_file(target)
        checkpoints = 0
        for i in range(n):
            stop_after = rng.randint(0, 3 * 18 - 1)  # batches: anywhere in 3 epochs of 18 steps
            seen = [0]

            def should_stop():
                seen[0] += 1
                return seen[0] > stop_after

            try:  # one step per call, so any batch can be the cancel point
                train_and_save(cfg, data, target, should_stop=should_stop, steps_per_execution=1)
                failures.append(f"trial {i}: not cancelled")
            except TrainingCancelled:
                pass
            kept = checkpoint.checkpoint_path(target).exists()
            checkpoints += kept
            problem = check(folder, target, sha) or check_checkpoint(target, finished=stop_after // 18)
            if problem:
                failures.append(f"trial {i} (cancel after {stop_after} batches): {problem}")
    return {"trials": n, "failures": failures, "left_a_checkpoint": checkpoints}


def kill_trials(n: int, rng: random.Random) -> dict:
    failures, killed_during = [], []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        target = folder / "model.keras"
        from desktop_cvae.model import build_model

        save_model(build_model(ModelConfig(arch="deepconv", latent_dim=16, seed=99)), target)
        for i in range(n):
            child = subprocess.Popen([sys.executable, "-c", CHILD, str(target), str(i)], stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True)
            child.stdout.readline()  # "saving": TensorFlow is up, the save loop starts now
            delay = rng.uniform(0.0, 2.5)
            time.sleep(delay)
            child.send_signal(signal.SIGKILL)
            child.wait()
            killed_during.append(round(delay, 2))
            problem = check(folder, target, None)
            if problem:
                failures.append(f"trial {i} (killed after {delay:.2f} s): {problem}")
            for leftover in folder.glob(".*.tmp*"):  # a killed save may leave its temporary file
                leftover.unlink()
    return {"trials": n, "failures": failures, "kill_after_seconds": killed_during}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cancel", type=int, default=20)
    p.add_argument("--kill", type=int, default=20)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    rng = random.Random(a.seed)
    result = {"cancel": cancel_trials(a.cancel, rng), "kill_during_save": kill_trials(a.kill, rng)}
    bad = len(result["cancel"]["failures"]) + len(result["kill_during_save"]["failures"])
    result["corrupt_or_changed"] = bad
    if a.json:
        print(json.dumps(result))
    else:
        print(f"cancel: {a.cancel} trials, {len(result['cancel']['failures'])} failures; "
              f"kill during save: {a.kill} trials, {len(result['kill_during_save']['failures'])} failures")
        for f in result["cancel"]["failures"] + result["kill_during_save"]["failures"]:
            print("  " + f)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
