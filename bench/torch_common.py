"""Shared pieces of the PyTorch peers in bench/ (torch_*.py): JSON-line output and thread control."""
import json


def emit(obj):
    """One JSON object per line on stdout (what the bench/*.js drivers read)."""
    print(json.dumps(obj), flush=True)


def blas_thread_setter():
    """torch.set_num_threads does not reach an external OpenBLAS (Debian's torch uses
    the system libblas, which is OpenBLAS with its own thread pool sized to the
    machine). Returns (library name, set_threads), or (None, None) without OpenBLAS,
    so that "1 thread" really means one thread."""
    import ctypes
    for lib in ("libopenblas.so.0", "libopenblasp.so.0", "libopenblas.so"):
        try:
            handle = ctypes.CDLL(lib)  # the copy torch already loaded, if any
            return lib, handle.openblas_set_num_threads
        except (OSError, AttributeError):
            continue
    return None, None


def set_threads(torch, n):
    """Run torch's own pool and OpenBLAS's with n threads."""
    torch.set_num_threads(n)
    _, set_blas = blas_thread_setter()
    if set_blas is not None:
        set_blas(n)


def replay_peer():
    """The start of a peer that replays the JS driver's batches (torch_sentiment.py,
    torch_pos.py): parses --batches FILE, --threads, --warmup; imports torch (or emits
    a skip line and returns None); reads the batches file and emits the meta line.
    Returns (args, torch, spec) with spec = {"shape", "sizes", "batches"}."""
    import argparse
    import sys
    ap = argparse.ArgumentParser()
    ap.add_argument("--batches", required=True)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--warmup", type=int, default=3)
    args = ap.parse_args()
    try:
        import torch
    except Exception as e:  # noqa: BLE001
        emit({"skip": f"torch not importable ({e.__class__.__name__}: {e})"})
        return None
    with open(args.batches) as f:
        spec = json.load(f)
    emit({"meta": {"torch": torch.__version__, "python": sys.version.split()[0], "batches": len(spec["batches"])}})
    return args, torch, spec


def timed(step, warmup, batches):
    """Runs step on each warm-up batch, then times it over `batches`: (wall s, CPU s)."""
    import time
    for b in warmup:
        step(b)
    t0, c0 = time.perf_counter(), time.process_time()
    for b in batches:
        step(b)
    return time.perf_counter() - t0, time.process_time() - c0
