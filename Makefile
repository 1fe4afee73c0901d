# Two commands a newcomer needs: `make demo` and `make test`. Each sets up what it needs.
# While working: `make test-fast` (unit and service tiers, under 2 minutes); `make coverage`.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.miru-installed
# Every install goes through the versions the tests last passed with (`make lock` rewrites it).
CONSTRAINTS := constraints.txt
# Extra pip arguments for torch alone, e.g. `--index-url <the PyTorch CPU wheel index>` on a
# machine whose pip finds only the CUDA build.
TORCH_PIP_ARGS ?=
APT_PKGS := tesseract-ocr tesseract-ocr-jpn redis-server fonts-noto-cjk

.PHONY: demo test test-normal test-cluster test-fast coverage lint lint-all setup lock system-deps redis clean

setup: $(STAMP)

$(STAMP): pyproject.toml $(CONSTRAINTS)
	@$(MAKE) --no-print-directory system-deps
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# The CPU build of torch first: a bare `torch` would pull a multi-GB CUDA build.
	$(BIN)/pip install -q -c $(CONSTRAINTS) $(TORCH_PIP_ARGS) torch==2.13.0
	$(BIN)/pip install -q -c $(CONSTRAINTS) -e '.[dev]'
	$(BIN)/pip check
	touch $(STAMP)

# Rewrite constraints.txt from the venv after a deliberate upgrade (`pip install -U X`, then the
# tests). The project itself is left out, and torch's local label (+cpu) too, so the same file
# serves the CPU and the CUDA builds.
lock:
	test -x $(BIN)/python || { echo "no $(VENV): run make setup first" >&2; exit 1; }
	$(BIN)/pip check
	{ echo "# pip constraints: the versions \`make test\` passed with. Regenerate with \`make lock\`."; \
	  echo "# Used by make setup, CI (.ci/run -> make test) and the Dockerfile: pip install -c $(CONSTRAINTS)"; \
	  $(BIN)/pip freeze --exclude-editable --exclude miru | sed -E 's/^(torch[a-z]*==[^+]+)\+.*/\1/'; \
	} > $(CONSTRAINTS).tmp
	mv $(CONSTRAINTS).tmp $(CONSTRAINTS)
	[ ! -e $(STAMP) ] || touch $(STAMP)

system-deps:
	@missing=""; \
	for p in $(APT_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -q && $$SUDO apt-get install -y -q $$missing; \
	fi

redis:
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || \
	  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
	    --logfile /tmp/miru-redis.log
	@for i in 1 2 3 4 5 6 7 8 9 10; do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && exit 0; sleep 0.5; done; \
	  echo "Redis did not start on 127.0.0.1:6379" >&2; exit 1

demo: setup
	$(BIN)/python scripts/make_samples.py samples
	MIRU_OFFLINE=1 MIRU_VLM_BACKEND=ocr $(BIN)/miru ask samples/receipt_ja.png samples/receipt_en.png samples/photo.jpg -q "What does this say?"
	MIRU_OFFLINE=1 $(BIN)/miru screen samples
	mkdir -p samples/out
	MIRU_OFFLINE=1 $(BIN)/miru clean samples/photo.jpg -o samples/out/photo-clean.jpg
	MIRU_OFFLINE=1 $(BIN)/miru audit verify

# Both cores: a file's tests stay on one xdist worker (module fixtures, one loaded set of models
# per worker), and each worker has its own Redis database (tests/conftest.py).
XDIST ?= -n 2 --dist loadfile
PYTEST := $(BIN)/python -m pytest -q -p no:cacheprovider
# The fast tier's folders; tests/service may not exist yet on an older checkout.
FAST_TIERS = $(wildcard tests/unit tests/service)

test: lint-all test-normal test-cluster

lint-all: setup
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test-normal: setup redis
	$(PYTEST) $(XDIST)

# The tests marked `redis` by hand (stores, queue, worker, quota, ledger, review store and vault,
# webhooks, reply claim, audit mirror, access overlay, API idempotency) again, each xdist worker
# on a Redis Cluster of three masters of its own (tests/rediscluster.py): every multi-key
# command, script and transaction must stay in one hash slot.
test-cluster: setup redis
	MIRU_TEST_REDIS_CLUSTER=1 $(PYTEST) $(XDIST) -m redis

# The loop to run while working: unit and service tiers, no model loads, no processes, no
# Tesseract (a guard in tests/conftest.py fails a test there that tries). Under 2 minutes.
test-fast: setup redis
	$(PYTEST) $(XDIST) $(FAST_TIERS)

# Line coverage of the product code over the whole normal pass (HTML in var/coverage/).
coverage: setup redis
	$(PYTEST) $(XDIST) --cov=bot --cov=safety --cov=handlers --cov=config \
	  --cov-report=term:skip-covered --cov-report=html:var/coverage

lint: lint-all

clean:
	rm -rf $(VENV) var samples/out
