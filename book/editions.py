"""Build the course's two editions from the notebooks in notebooks/.

    python book/editions.py book      # build/book/index.html: every notebook executed, as a static site
    python book/editions.py student   # build/student/*.ipynb: the notebooks without their solution cells

The book: the notebooks are executed in parallel (one kernel per core, ``nbclient``) into
build/executed/, each result kept until the notebook, nnlib or data/ changes; their solution
cells are marked to be collapsed; then Sphinx with MyST-NB and the Sphinx Book Theme writes the
site, with MathJax served from the site itself (see book/conf.py), so it reads with no network.

Kernels run with ``NNLIB_WIDGETS=static``: a playground draws its figure instead of opening a
live widget, which a static page could only show by loading a widget manager from a CDN (and
after which nbclient has been seen to stall until its timeout, jupyter/nbclient#312). ``tqdm``
progress bars still come as widgets; the book shows each one's final text instead
(:func:`_static_progress_bars`).
"""
import argparse
import copy
import hashlib
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
BUILD = ROOT / "build"
EXECUTED = BUILD / "executed"
SOURCE = BUILD / "book-source"
BOOK = BUILD / "book"
STUDENT = BUILD / "student"
CELL_TIMEOUT = 300  # seconds; a notebook must finish in under a minute on two cores, so this only catches a hang
SOLUTION_TAG = "solution"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def notebooks(directory=NOTEBOOKS):
    return sorted(directory.glob("[0-9][0-9]_*.ipynb"))


def is_solution(cell):
    return SOLUTION_TAG in cell.get("metadata", {}).get("tags", [])


# --- executing, with a cache ---------------------------------------------------------------------
def _library_digest():
    """One hash of everything a notebook's outputs depend on besides itself: nnlib and data/."""
    digest = hashlib.sha256()
    for base in (ROOT / "nnlib", ROOT / "data"):
        for path in sorted(p for p in base.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            digest.update(str(path.relative_to(ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _key(path, library):
    return hashlib.sha256(path.read_bytes() + library.encode()).hexdigest()


def _kernel_env():
    env = dict(os.environ)
    env["NNLIB_WIDGETS"] = "static"
    env.pop("MPLBACKEND", None)  # the kernel's own inline backend shows the figures (pytest's conftest sets Agg)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env.setdefault(var, "1")  # one kernel per core; more threads would fight over the cores
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    return env


def execute(path, out_path, timeout=CELL_TIMEOUT):
    """Run the notebook at ``path`` from a fresh kernel in its folder and write it, with its outputs, to ``out_path``.

    Raises ``nbclient.exceptions.CellExecutionError`` (naming the notebook and cell) if a cell fails.
    Returns (name, CPU seconds of the kernel, wall seconds).
    """
    import psutil
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    os.environ.update(_kernel_env())  # this worker process only: its kernel inherits the environment
    with tempfile.TemporaryDirectory() as sockets:
        # Local sockets (ipc) rather than TCP ports: nothing listens on the network, and the
        # kernel has no reason to warn about unencrypted TCP.
        manager = KernelManager(kernel_name="python3", transport="ipc", ip=str(Path(sockets) / "kernel"))
        client = NotebookClient(
            nb, km=manager, timeout=timeout, kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
        )
        kernel = {"cpu": 0.0}

        def kernel_cpu(**_):  # after each cell: the kernel's CPU time so far (user + system)
            process = kernel.setdefault("process", psutil.Process(manager.provisioner.pid))
            kernel["cpu"] = sum(process.cpu_times()[:2])

        client.on_cell_executed = kernel_cpu
        start = time.perf_counter()
        try:
            client.execute()
        finally:
            if manager.has_kernel:  # nbclient shuts down only the kernels it started itself
                manager.shutdown_kernel(now=False)
    cpu = kernel["cpu"]
    nbformat.write(nb, out_path)
    return path.name, cpu, time.perf_counter() - start


def execute_all(paths, jobs=None, force=False):
    """Execute ``paths`` into build/executed/, ``jobs`` at a time (default: one per core).

    A notebook whose source, nnlib and data/ are unchanged since its last run is not run again.
    Prints one line per notebook; returns the executed notebooks' paths in the order given.
    """
    EXECUTED.mkdir(parents=True, exist_ok=True)
    library = _library_digest()
    timings_file = EXECUTED / "timings.json"
    timings = json.loads(timings_file.read_text()) if timings_file.exists() else {}
    todo = []
    for path in paths:
        out, stamp = EXECUTED / path.name, EXECUTED / (path.stem + ".key")
        if not force and out.exists() and stamp.exists() and stamp.read_text() == _key(path, library):
            print(f"  {path.name}: unchanged, kept")
        else:
            todo.append(path)
    # The longest first, so that the last ones to finish are short (durations from the last build).
    todo.sort(key=lambda p: -timings.get(p.name, {}).get("wall", 60.0))
    jobs = jobs or os.cpu_count() or 1
    failures = []
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(execute, p, EXECUTED / p.name): p for p in todo}
        for future in as_completed(futures):
            path = futures[future]
            try:
                name, cpu, wall = future.result()
            except Exception as error:  # noqa: BLE001 - reported with the notebook's name, then raised below
                failures.append(f"{path.name}: {error}")
                (EXECUTED / (path.stem + ".key")).unlink(missing_ok=True)
                print(f"  {path.name}: FAILED", flush=True)
                continue
            (EXECUTED / (path.stem + ".key")).write_text(_key(path, library))
            timings[name] = {"cpu": round(cpu, 1), "wall": round(wall, 1)}
            print(f"  {name}: executed in {wall:.1f} s wall, {cpu:.1f} s kernel CPU", flush=True)
    timings_file.write_text(json.dumps(timings, indent=1, sort_keys=True))
    if failures:
        raise SystemExit("notebooks failed to execute:\n" + "\n\n".join(failures))
    return [EXECUTED / p.name for p in paths]


# --- staging the book's sources --------------------------------------------------------------------
def _static_progress_bars(nb):
    """Replace each widget output by the text of its final state (tqdm's bars: 'epochs: 100%|...| 30/30').

    A static page has no widget manager to draw a widget; the state nbclient stored at the end of
    the run holds what the bar showed last. Widgets of any other kind keep their plain-text form.
    """
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(WIDGET_VIEW)
            if view is None:
                continue
            model = state.get(view.get("model_id"), {}).get("state", {})
            parts = []
            for child in model.get("children", []):
                child_state = state.get(str(child).removeprefix("IPY_MODEL_"), {}).get("state", {})
                if "ProgressModel" in child_state.get("_model_name", ""):
                    filled = round(10 * child_state.get("value", 0) / (child_state.get("max") or 1))
                    parts.append("|" + "█" * filled + " " * (10 - filled) + "|")
                else:
                    parts.append(html.unescape(re.sub(r"<[^>]+>", "", child_state.get("value", ""))).strip())
            text = "".join(parts) if parts else output["data"].get("text/plain", "")
            output["data"] = {"text/plain": text}
            output.get("metadata", {}).pop(WIDGET_VIEW, None)
    nb.metadata.pop("widgets", None)


def _collapse_solutions(nb):
    """Solution cells: their code collapsed behind 'Show solution' (MyST-NB's ``hide-input`` tag)."""
    for cell in nb.cells:
        if is_solution(cell):
            tags = cell.metadata.setdefault("tags", [])
            if "hide-input" not in tags:
                tags.append("hide-input")
            cell.metadata["mystnb"] = {"code_prompt_show": "Show solution", "code_prompt_hide": "Hide solution"}


def figure_report(executed):
    """{notebook: [(cell index, [problems])]} for each shown figure that lacks a title or axis labels,
    as ``nnlib.plot.figure_problems`` found it in the kernel (kept in each image's output metadata)."""
    report = {}
    for path in executed:
        nb = nbformat.read(path, as_version=4)
        for index, cell in enumerate(nb.cells):
            for output in cell.get("outputs", []):
                problems = output.get("metadata", {}).get("image/png", {}).get("nnlib_figure_problems")
                if problems:
                    report.setdefault(path.name, []).append((index, problems))
    return report


def stage_book(executed):
    """Write build/book-source/: the landing page and the executed notebooks, made ready to render."""
    if SOURCE.exists():
        shutil.rmtree(SOURCE)
    (SOURCE / "notebooks").mkdir(parents=True)
    shutil.copy(ROOT / "book" / "index.md", SOURCE / "index.md")
    for path in executed:
        nb = nbformat.read(path, as_version=4)
        _static_progress_bars(nb)
        _collapse_solutions(nb)
        nbformat.write(nb, SOURCE / "notebooks" / path.name)


def build_book(jobs=None, force=False):
    start = time.perf_counter()
    print("executing the notebooks (build/executed/)")
    executed = execute_all(notebooks(), jobs=jobs, force=force)
    stage_book(executed)
    print("rendering the site (build/book/)")
    if BOOK.exists():
        shutil.rmtree(BOOK)
    subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-W", "--keep-going", "-c", str(ROOT / "book"),
         "-d", str(BUILD / "book-doctrees"), str(SOURCE), str(BOOK)],
        check=True,
    )
    report = figure_report(executed)
    (BUILD / "figure-check.json").write_text(json.dumps(report, indent=1))
    count = sum(len(v) for v in report.values())
    print(f"{count} figure(s) lack a title or axis labels (build/figure-check.json)" if count else
          "every figure has a title and labelled axes")
    print(f"book written to {BOOK / 'index.html'} in {time.perf_counter() - start:.0f} s")


# --- the student edition ------------------------------------------------------------------------
def student_notebook(nb):
    """A copy of ``nb`` without its solution cells (the tag ``solution``)."""
    nb = copy.deepcopy(nb)
    nb.cells = [cell for cell in nb.cells if not is_solution(cell)]
    return nb


def build_student():
    if STUDENT.exists():
        shutil.rmtree(STUDENT)
    STUDENT.mkdir(parents=True)
    removed = 0
    for path in notebooks():
        nb = nbformat.read(path, as_version=4)
        student = student_notebook(nb)
        removed += len(nb.cells) - len(student.cells)
        nbformat.write(student, STUDENT / path.name)
    # The notebooks read their data through nnlib, which finds data/ from its own location.
    print(f"student edition written to {STUDENT}: {len(notebooks())} notebooks, {removed} solution cells removed")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("edition", choices=["book", "student"])
    parser.add_argument("-j", "--jobs", type=int, default=None, help="notebooks executed at once (default: cores)")
    parser.add_argument("--force", action="store_true", help="execute every notebook, even unchanged ones")
    args = parser.parse_args(argv)
    if args.edition == "book":
        build_book(jobs=args.jobs, force=args.force)
    else:
        build_student()


if __name__ == "__main__":
    main()
