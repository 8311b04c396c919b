"""Benchmarks for Briefbot: speed and quality beside their references, run as ``python -m bench.X``.

The thread caps are set here, before any submodule imports numpy, because BLAS
and OpenMP read them only once at import: every figure is single-threaded so
runs on different machines compare per core.
"""

import os

for _name in (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "RAYON_NUM_THREADS",
    "NUMBA_NUM_THREADS",
):
    os.environ.setdefault(_name, "1")
