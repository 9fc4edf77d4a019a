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
