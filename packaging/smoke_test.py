"""Smoke test of the built program: ``python packaging/smoke_test.py`` (``make package-test``).

Runs the frozen executables in ``dist/polarity-studio/`` as a person's machine would: a fresh HOME,
no network (a network namespace with no interfaces where ``unshare -rn`` works, and in any case
HF_HUB_OFFLINE=1 and every proxy variable pointing at a closed port), no Python environment on
PATH or PYTHONPATH. Checks, and times:

1. ``polarity-studio --version``           the version from pyproject.toml
2. ``polarity-studio --self-test FILE``    exit 0 and one ``"ok": true`` JSON line: window shown,
                                            demo project, bundled encoder, prediction, tiny training
3. ``polarity predict --sentence ... --term staff --json``   the CLI from the same folder;
   ``polarity train --engine lora`` on 24 demo terms, then ``polarity evaluate`` on them
4. ``polarity-studio --screenshot FILE --debug``  the real app path: window, demo project, model
                                            loaded on its thread, terms scored, a PNG written

Prints one JSON report (timings in seconds) and exits non-zero if any check failed.

``--chroot DIR`` runs the programs inside another system's root (``packaging/portable_test.sh``: a
bare Debian 11 with the desktop libraries only; /proc, /sys and /dev mounted there by the caller):
the folder and the fresh home then lie inside DIR, and this script stays on the host.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from project_meta import project_meta  # packaging/, beside this script

ROOT = Path(__file__).resolve().parent.parent
EXE_SUFFIX = ".exe" if sys.platform.startswith("win") else ""
SENTENCE = "The pasta was cold but the staff were lovely"
DEAD_PROXY = "http://127.0.0.1:9"  # the discard port: nothing listens, any request fails at once
PROXY_VARS = ("http_proxy", "https_proxy", "all_proxy", "ftp_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY",
              "ALL_PROXY", "FTP_PROXY", "NO_PROXY")


def offline_env(home: Path) -> dict[str, str]:
    """A person's environment: fresh home and data folders, no network, no Python of ours."""
    keep = ("LANG", "LC_ALL", "TZ", "TMPDIR", "SYSTEMROOT", "WINDIR", "TEMP", "TMP", "USERNAME", "USER", "LOGNAME")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(HOME=str(home), USERPROFILE=str(home), APPDATA=str(home / "AppData"),
               XDG_CONFIG_HOME=str(home / ".config"), XDG_DATA_HOME=str(home / ".local" / "share"),
               XDG_CACHE_HOME=str(home / ".cache"), XDG_RUNTIME_DIR=str(home / "runtime"),
               PATH=os.pathsep.join(p for p in ("/usr/bin", "/bin") if os.path.isdir(p)) or os.defpath,
               QT_QPA_PLATFORM="offscreen", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
               HF_HUB_DISABLE_TELEMETRY="1", POLARITY_AUTHOR="smoke-test")
    for var in PROXY_VARS:
        env[var] = "" if var.lower() == "no_proxy" else DEAD_PROXY
    (home / "runtime").mkdir(parents=True, exist_ok=True)
    (home / "runtime").chmod(0o700)
    return env


def network_jail() -> list[str]:
    """``unshare -rn`` (a new network namespace: no interfaces) when this machine allows it."""
    unshare = shutil.which("unshare")
    if not unshare or not sys.platform.startswith("linux"):
        return []
    try:
        ok = subprocess.run([unshare, "-rn", "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        ok = False
    return [unshare, "-rn"] if ok else []


# The root the programs run in (--chroot), else None: set once by main() before any run().
CHROOT: Path | None = None


def inside(value: str) -> str:
    """A host path under CHROOT as the programs see it there ("/tmp/..."); anything else unchanged."""
    if CHROOT is None or not value.startswith(f"{CHROOT}/"):
        return value
    return "/" + value[len(str(CHROOT)):].lstrip("/")


def chroot_prefix(work: Path) -> list[str]:
    """``chroot DIR env -C WORK``: coreutils' chroot changes to /, env -C to the work folder inside."""
    if CHROOT is None:
        return []
    chroot = shutil.which("chroot") or "/usr/sbin/chroot"
    return [chroot, str(CHROOT), "/usr/bin/env", "-C", inside(str(work))]


def run(cmd: list[str], env: dict[str, str], cwd: Path, timeout: float) -> tuple[subprocess.CompletedProcess, float]:
    cmd = [inside(arg) for arg in cmd]
    env = {key: inside(value) for key, value in env.items()}
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    return proc, time.perf_counter() - started


def last_json(text: str) -> dict[str, Any]:
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    raise ValueError(f"no JSON line in output: {text[-500:]!r}")


def write_small_set(path: Path, n: int) -> None:
    """The first ``n`` labeled terms of the demo corpus, as JSONL (the format the CLI reads)."""
    rows = []
    with open(ROOT / "resources" / "demo" / "demo_corpus.jsonl", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if row.get("label"):
                rows.append(line.strip())
            if len(rows) == n:
                break
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", help="the built folder (default: dist/<name>)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds allowed for each run")
    parser.add_argument("--no-screenshot", action="store_true", help="skip the --screenshot run")
    parser.add_argument("--chroot", metavar="DIR", help="run the programs inside this root (the folder lies in it)")
    args = parser.parse_args(argv)
    global CHROOT
    CHROOT = Path(args.chroot).resolve() if args.chroot else None
    name, version = project_meta()
    folder = Path(args.folder) if args.folder else ROOT / "dist" / name
    studio, cli = folder / f"{name}{EXE_SUFFIX}", folder / f"polarity{EXE_SUFFIX}"
    report: dict[str, Any] = {"folder": str(folder), "checks": {}}
    failures: list[str] = []

    def check(key: str, ok: bool, detail: Any) -> None:
        report["checks"][key] = {"ok": ok, "detail": detail}
        if not ok:
            failures.append(key)

    if not studio.is_file() or not cli.is_file():
        print(json.dumps({"ok": False, "error": f"no build at {folder}: run packaging/build.py first"}))
        return 2
    jail = network_jail()
    report["network"] = "none (unshare -rn)" if jail else "offline env + dead proxies"
    report["root"] = str(CHROOT) if CHROOT else "/"
    tmp_parent = CHROOT / "tmp" if CHROOT else None
    with tempfile.TemporaryDirectory(prefix="polarity-smoke-", dir=tmp_parent) as tmp_name:
        tmp = Path(tmp_name)
        home = tmp / "home"
        home.mkdir()
        env = offline_env(home)
        work = tmp / "work"
        work.mkdir()
        jail = jail + chroot_prefix(work)

        proc, secs = run(jail + [str(studio), "--version"], env, work, 120)
        check("version", proc.returncode == 0 and proc.stdout.strip() == f"{name} {version}",
              {"stdout": proc.stdout.strip(), "seconds": round(secs, 2), "stderr": proc.stderr[-300:]})

        self_report = tmp / "self-test.json"
        proc, secs = run(jail + [str(studio), "--self-test", str(self_report)], env, work, args.timeout)
        try:
            st = last_json(proc.stdout)
        except ValueError as exc:
            st = {"ok": False, "error": str(exc)}
        frozen_ok = st.get("frozen") is True and (st.get("encoder") or {}).get("inside_build") is True
        check("self_test", proc.returncode == 0 and st.get("ok") is True and frozen_ok,
              {"returncode": proc.returncode, "report": st, "seconds": round(secs, 2),
               "stderr": proc.stderr[-1500:] if proc.returncode else ""})
        report["self_test"] = st

        proc, secs = run(jail + [str(cli), "predict", "--sentence", SENTENCE, "--term", "staff", "--json"],
                         env, work, args.timeout)
        try:
            pred = last_json(proc.stdout)
        except ValueError as exc:
            pred = {"error": str(exc)}
        check("cli_predict", proc.returncode == 0 and pred.get("label") in ("negative", "neutral", "positive"),
              {"returncode": proc.returncode, "prediction": pred, "seconds": round(secs, 2),
               "stderr": proc.stderr[-1500:] if proc.returncode else ""})
        report["cli_first_prediction_seconds"] = round(secs, 2)

        # The CLI trains a LoRA model (peft's training path) on a few demo terms and evaluates it.
        small = work / "small.jsonl"
        write_small_set(small, 24)
        proc, secs = run(jail + [str(cli), "train", "--train", str(small), "--out", str(work / "lora-model"),
                                 "--engine", "lora", "--epochs", "1", "--batch-size", "24", "--max-length", "64",
                                 "--device", "cpu", "--json"], env, work, args.timeout)
        check("cli_train_lora", proc.returncode == 0 and (work / "lora-model" / "model.json").is_file(),
              {"returncode": proc.returncode, "seconds": round(secs, 2),
               "stderr": proc.stderr[-1500:] if proc.returncode else ""})
        proc, secs = run(jail + [str(cli), "evaluate", "--model", str(work / "lora-model"), "--data", str(small),
                                 "--json"], env, work, args.timeout)
        try:
            scores = last_json(proc.stdout)
        except ValueError as exc:
            scores = {"error": str(exc)}
        check("cli_evaluate", proc.returncode == 0 and scores.get("n") == 24,
              {"returncode": proc.returncode, "accuracy": scores.get("accuracy"), "seconds": round(secs, 2),
               "stderr": proc.stderr[-1500:] if proc.returncode else ""})

        if not args.no_screenshot:
            shot = tmp / "shot.png"
            proc, secs = run(jail + [str(studio), "--screenshot", str(shot), "--debug"], env, work, args.timeout)
            shown = re.search(r"window shown ([0-9.]+) s after process start", proc.stderr)
            loaded = re.search(r"model \S.* loaded in ([0-9.]+) s", proc.stderr)  # the app's predictor thread
            png_ok = shot.is_file() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
            ok = proc.returncode == 0 and png_ok and loaded is not None
            check("screenshot", ok,
                  {"returncode": proc.returncode, "png_bytes": shot.stat().st_size if shot.is_file() else 0,
                   "model_loaded": loaded is not None, "seconds": round(secs, 2),
                   "stderr": "" if ok else proc.stderr[-1500:]})
            report["screenshot_window_seconds"] = float(shown.group(1)) if shown else None
            report["screenshot_model_load_seconds"] = float(loaded.group(1)) if loaded else None
            report["screenshot_total_seconds"] = round(secs, 2)
        # nothing but the program's own data may appear in the fresh home (never outside it)
        report["home_after"] = sorted(str(p.relative_to(home)) for p in home.rglob("*") if p.is_file())[:20]

    report["cold_start_to_window_seconds"] = st.get("window_seconds")
    report["first_prediction_seconds"] = st.get("first_prediction_seconds")
    report["ok"] = not failures
    report["failed"] = failures
    print(json.dumps(report, indent=1, default=str))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
