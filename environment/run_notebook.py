#!/usr/bin/python3
"""Execute one notebook on a Jupyter kernel with nbclient, cell by cell.

Used by `npm run workbook` (src/workbook/execute.ts); not meant to be called by hand.
It prints one JSON object per line on stdout (events), so the caller can show progress:
  {"event": "start", "cells": N}
  {"event": "kernel", "pid": P}
  {"event": "cell", "index": i, "of": N, "seconds": s}
  {"event": "error", "index": i, "source": "...", "stderr": "...", "seconds": s}
  {"event": "done", "seconds": s}
After every cell the executed notebook is written (atomically) to OUTPUT, so a failure
keeps the partial notebook. Execution counts are filled in even though tslab's error
replies carry none, and no later cell runs after a failing one (tslab aborts requests for
200 ms after an error, so --allow-errors would silently skip cells).
Exit status: 0 ok, 1 a cell failed (or its outputs did not arrive: never dropped silently),
3 kernel spec missing, 4 kernel died / other error.
"""
import argparse
import json
import os
import signal
import sys
import time
import warnings

import nbformat
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

# nbformat >= 4.5 wants cell ids; notebooks without them still run, so do not shout about it
warnings.filterwarnings("ignore", message=".*missing an id field.*")


def emit(**event):
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def write_atomic(nb, path):
    tmp = "%s.%d.tmp" % (path, os.getpid())
    with open(tmp, "w", encoding="utf-8") as f:
        nbformat.write(nb, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def cell_stderr(cell):
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            parts.append(out.get("text", ""))
        elif out.get("output_type") == "error":
            parts.append("%s: %s\n%s" % (out.get("ename", ""), out.get("evalue", ""), "\n".join(out.get("traceback", []))))
    return "".join(parts)


def die_with_parent():
    """End this driver when the runner that started it dies, SIGKILL included (Linux)."""
    owner = os.environ.get("WORKBOOK_RUNNER_PID")
    if not owner or not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass
    if os.getppid() != int(owner):  # the runner died before prctl took effect
        os._exit(143)


def tail(path, lines=8):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return "\n".join(f.read().strip().splitlines()[-lines:])
    except OSError:
        return ""


def main():
    die_with_parent()
    ap = argparse.ArgumentParser()
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--cwd", required=True, help="kernel working directory (the notebooks folder)")
    ap.add_argument("--kernel", default="tslab")
    ap.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    ap.add_argument("--iopub-timeout", type=int, default=300,
                    help="seconds a finished cell's outputs may take to arrive (nbclient's default, 4, drops them silently on a busy machine)")
    args = ap.parse_args()

    try:
        spec = KernelSpecManager().get_kernel_spec(args.kernel)
    except NoSuchKernel:
        names = ", ".join(sorted(KernelSpecManager().find_kernel_specs())) or "none"
        emit(event="fatal", message='kernel spec "%s" not found (installed: %s); run `npm run setup` to register it' % (args.kernel, names))
        return 3
    # The spec is per user, not per checkout: another clone's `npm run setup` (or a deleted
    # clone) leaves it pointing at a tslab binary that is not this one's or no longer exists.
    binary = spec.argv[0] if spec.argv else ""
    if os.path.isabs(binary) and not os.path.exists(binary):
        emit(event="fatal", message='kernel spec "%s" (%s) starts %s, which does not exist (registered from another checkout?); run `npm run setup` here to re-register it'
             % (args.kernel, spec.resource_dir, binary))
        return 3

    with open(args.input, encoding="utf-8") as f:
        nb = nbformat.read(f, as_version=4)
    # After a cell's reply, nbclient waits iopub_timeout seconds for the outputs still on their
    # way and, by default, then goes on without them, logging only a warning: a cell that
    # prints a lot on a loaded machine kept 655 of its 3000 outputs that way. A long wait, and
    # an error instead of a silent loss when even that is not enough.
    client = NotebookClient(nb, kernel_name=args.kernel, timeout=args.timeout, allow_errors=False,
                            iopub_timeout=args.iopub_timeout, raise_on_iopub_timeout=True,
                            record_timing=True, resources={"metadata": {"path": args.cwd}})
    code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    emit(event="start", cells=len(code_cells))
    t_all = time.time()
    # The kernel's own stderr goes to a file: when it dies or never answers at start, its last
    # lines say why (a Python traceback from jupyter_client would not); otherwise it is copied
    # to this driver's stderr at the end, so nothing is lost.
    import tempfile
    kernel_log = tempfile.NamedTemporaryFile(prefix="workbook-kernel-", suffix=".log", delete=False)
    try:
        return run_cells(client, nb, args, code_cells, t_all, kernel_log)
    except (RuntimeError, TimeoutError) as e:
        kernel_log.flush()
        why = tail(kernel_log.name)
        emit(event="fatal", message="the kernel did not start: %s%s" % (str(e).strip().splitlines()[-1] if str(e).strip() else type(e).__name__,
                                                                       ("\nkernel stderr:\n" + why) if why else ""))
        return 4
    finally:
        kernel_log.close()
        rest = tail(kernel_log.name, 10**6)
        if rest:
            sys.stderr.write(rest + "\n")
        os.unlink(kernel_log.name)


def run_cells(client, nb, args, code_cells, t_all, kernel_log):
    count = 0
    try:
        with client.setup_kernel(stderr=kernel_log):
            provisioner = getattr(client.km, "provisioner", None)
            kernel_pid = getattr(provisioner, "pid", None) or getattr(getattr(client.km, "kernel", None), "pid", None)
            emit(event="kernel", pid=kernel_pid)  # so the caller can stop it if we are killed

            def on_term(signum, frame):
                # jupyter starts the kernel in its own session: stop it, or it outlives us
                if kernel_pid:
                    try:
                        os.kill(kernel_pid, signal.SIGTERM)
                    except OSError:
                        pass
                write_atomic(nb, args.output)
                # os._exit runs no finally and no cleanup of jupyter_client: remove our temp files here
                for name in (kernel_log.name, getattr(client.km, "connection_file", None)):
                    if name:
                        try:
                            os.unlink(name)
                        except OSError:
                            pass
                os._exit(128 + signum)

            signal.signal(signal.SIGTERM, on_term)
            for n, index in enumerate(code_cells):
                cell = nb.cells[index]
                t0 = time.time()
                count += 1
                try:
                    client.execute_cell(cell, index, store_history=True)
                except (CellExecutionError, CellTimeoutError) as e:
                    seconds = time.time() - t0
                    cell.execution_count = cell.get("execution_count") or count
                    cell.metadata.setdefault("workbook", {})["seconds"] = round(seconds, 3)
                    write_atomic(nb, args.output)
                    stderr = cell_stderr(cell) or str(e)
                    if "IOPub" in str(e):
                        stderr = ("the cell ran, but its outputs did not all arrive within %d s (--iopub-timeout); "
                                  "the notebook would have lost them, so it stops here\n%s" % (args.iopub_timeout, stderr))
                    emit(event="error", index=index, code_index=n, source=cell.source, stderr=stderr, seconds=seconds,
                         timeout=isinstance(e, CellTimeoutError))
                    return 1
                seconds = time.time() - t0
                cell.execution_count = cell.get("execution_count") or count
                cell.metadata.setdefault("workbook", {})["seconds"] = round(seconds, 3)
                write_atomic(nb, args.output)
                emit(event="cell", index=index, code_index=n, of=len(code_cells), seconds=seconds)
    except DeadKernelError as e:
        write_atomic(nb, args.output)
        kernel_log.flush()
        why = tail(kernel_log.name)
        emit(event="fatal", message="the kernel died: %s%s" % (e, ("\nkernel stderr:\n" + why) if why else ""))
        return 4
    write_atomic(nb, args.output)
    emit(event="done", seconds=time.time() - t_all)
    return 0


if __name__ == "__main__":
    sys.exit(main())
