"""Loaded by pytest before anything else, for the tests and for nbval's notebook kernels alike.

pytest-xdist runs one worker per core, and each worker starts notebook kernels that inherit this
environment. Left alone, every worker's torch and BLAS would also start one thread per core, and
on a 2-core machine the oversubscribed threads spin against each other (a small matmul measured
600x slower). One thread per worker keeps the cores busy without contention.
"""
import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
