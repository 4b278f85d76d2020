# mlplatform: the two commands of the quick start, and the few around them.
# Every Python dependency is installed from uv.lock (exact versions, sha256 hashes); `make lock` rewrites the lock.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
UV     := $(BIN)/uv
STAMP  := $(VENV)/.installed

# uv uses the .venv made from $(PYTHON) and never downloads an interpreter of its own.
export UV_PYTHON_DOWNLOADS := never
# uv installs without compiling bytecode (compiling all 20,000 modules of the SDKs costs minutes), so Python writes
# the .pyc of what it imports on first use; a PYTHONDONTWRITEBYTECODE in the caller's environment would make every
# process compile the SDKs again (docs/performance.md, "Set-up").
unexport PYTHONDONTWRITEBYTECODE

.PHONY: setup plan test lint typecheck unit bench lock clean

## setup: .venv with exactly the locked set (plan and test do this first)
setup: $(STAMP)

# uv itself first, into the project's venv, from the pinned hashes in tools/uv-bootstrap.txt (the same files as
# uv.lock's uv entry; tests/test_setup.py checks they agree). The venv gets no pip of its own (ensurepip costs
# seconds): $(PYTHON)'s pip installs into it with --python (pip >= 22.3, which Python 3.11 ships).
$(UV):
	test -x $(BIN)/python || $(PYTHON) -m venv --without-pip $(VENV)
	$(PYTHON) -m pip --python $(BIN)/python install --quiet --disable-pip-version-check --no-deps \
		--require-hashes -r tools/uv-bootstrap.txt

# Then everything else, exactly as locked (packages not in the lock are removed), the project itself editable.
# --locked fails, instead of re-resolving, when uv.lock is out of step with pyproject.toml.
$(STAMP): uv.lock pyproject.toml | $(UV)
	$(UV) sync --locked
	touch $(STAMP)

## plan: plan every stack in stacks/ offline (no cloud, no Pulumi CLI) and print the result
plan: setup
	$(BIN)/mlplatform plan --all

## test: ruff, then mypy beside the whole pytest suite (offline, on up to 4 cores: pytest-xdist); fails if any fails
# mypy (one process, about 50 s with no cache) runs in the background while pytest runs, so no core waits for it; its
# output is printed after pytest's and its status counts. --dist worksteal: a worker that runs out of tests takes
# some of the other's instead of idling through the other's last slow tests (docs/performance.md, Set-up).
test: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@echo "mypy runs beside pytest; its output follows pytest's"
	@$(BIN)/mypy >$(VENV)/mypy.out 2>&1 & mypy=$$!; trap 'kill $$mypy 2>/dev/null' EXIT INT TERM; \
	$(BIN)/pytest -q -n auto --maxprocesses 4 --dist worksteal; tests=$$?; \
	wait $$mypy; types=$$?; trap - EXIT INT TERM; \
	echo "$(BIN)/mypy"; cat $(VENV)/mypy.out; \
	[ $$tests -eq 0 ] && [ $$types -eq 0 ]

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

## bench: plan scaling against the SDK floor (not part of make test)
bench: setup
	$(BIN)/python benchmarks/plan_scale.py

## lock: upgrade every dependency within pyproject.toml's ranges, rewrite uv.lock, install it (docs/upgrading.md)
# UV_LOCKED=1 (README, "Deploying for real") makes `uv lock --upgrade` refuse to rewrite the lock: unset it here.
lock: | $(UV)
	env -u UV_LOCKED $(UV) lock --upgrade
	$(BIN)/python tools/uv_bootstrap.py
	$(UV) sync --locked
	touch $(STAMP)

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
