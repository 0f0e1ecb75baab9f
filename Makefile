# cqdfem: the only entry points a newcomer needs. The first target that needs FEniCSx builds the
# runtime (containers/fenicsx: a Debian trixie rootfs, or sid with SUITE=sid, in ~/.cache/cqdfem, a few minutes, once).
RUN := containers/fenicsx
SUITE ?=

.PHONY: demo test femwell docs docs-check notebook image shell bench bench-modes runtime info clean

demo: ## microsecond lasing of the DFB laser at 88 kW/cm^2 (coupled heat + threshold); print where the files are
	CQDFEM_SUITE=$(SUITE) $(RUN) cqdfem run cases/microsecond-lasing.toml -o results/demo

test: ## pytest serially + MPI tests on 2 ranks, in the trixie and sid runtimes
	@$(MAKE) --no-print-directory femwell || echo "test: femwell could not be installed; its peer test will skip"
	containers/test-suites

docs: femwell ## the documentation site, every tutorial and V&V page executed (a failing cell fails the build): docs/_build/html
	CQDFEM_SUITE=$(SUITE) $(RUN) python3 -m sphinx -b html -q --keep-going -j 1 docs docs/_build/html
	@echo "docs: docs/_build/html/index.html"

docs-check: docs ## screenshots of the built site's home, a tutorial and a V&V page (headless Chromium), checked not blank
	CQDFEM_SUITE=$(SUITE) $(RUN) python3 docs/check.py docs/_build/html docs/_build/screenshots

notebook: ## JupyterLab inside the runtime with the repository mounted; the tutorials (docs/tutorials/*.md) open as notebooks
	CQDFEM_SUITE=$(SUITE) $(RUN) jupyter-lab --allow-root --no-browser --ip=127.0.0.1 --port=$${PORT:-8888} --notebook-dir=$(CURDIR) --ServerApp.contents_manager_class=jupytext.TextFileContentsManager

image: ## build the Docker image with podman (no registry needed) and run cqdfem info and a short case in it
	containers/build-image

shell: ## a shell inside the runtime (CQDFEM_SUITE=sid for DOLFINx 0.11)
	CQDFEM_SUITE=$(SUITE) $(RUN) bash

bench: ## meshing and thermal benchmarks; results go to benchmarks/results.md
	CQDFEM_SUITE=$(SUITE) $(RUN) python3 benchmarks/bench_mesh.py --write benchmarks/results.md
	CQDFEM_SUITE=$(SUITE) $(RUN) python3 benchmarks/bench_thermal.py --write benchmarks/results.md

# femwell (the peer of the mode solver, pure Python wheels, pinned) for bench-modes and the docs' peer
# page; not a project dependency, so it goes to /tmp (which the runtime sees): with the host's pip if
# there is one, else the runtime's (python3-pip is in its package list; where it reaches an index).
# `make test` goes on without it (its test then skips and says so); the docs' peer page needs it.
FEMWELL_PKGS = femwell==0.1.12 scikit-fem==12.0.2
FEMWELL_DIR = $${CQDFEM_FEMWELL:-/tmp/cqdfem-femwell}
femwell:
	@test -d $(FEMWELL_DIR)/femwell || python3 -m pip install -q --no-deps --target $(FEMWELL_DIR) $(FEMWELL_PKGS) 2>/dev/null \
	  || CQDFEM_SUITE=$(SUITE) $(RUN) python3 -m pip install -q --no-deps --target $(FEMWELL_DIR) $(FEMWELL_PKGS)

bench-modes: femwell ## 2D vector modes: time to n_eff within 1e-6, cqdfem vs femwell (femwell goes to /tmp/cqdfem-femwell, not the project)
	CQDFEM_SUITE=$(SUITE) $(RUN) python3 benchmarks/bench_modes.py --femwell $(FEMWELL_DIR) --write benchmarks/results.md

runtime: ## build the runtime(s) without running anything
	CQDFEM_SUITE=trixie CQDFEM_BUILD_ONLY=1 $(RUN)
	-CQDFEM_SUITE=sid CQDFEM_BUILD_ONLY=1 $(RUN)

info:
	CQDFEM_SUITE=$(SUITE) $(RUN) cqdfem info

clean:
	rm -rf results .pytest_cache docs/_build docs/_generated docs/jupyter_execute
