# Support Hero: two commands on a fresh machine with Python 3.11 -- `make run`, `make test`.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
STAGE  ?= dev
# axe-core from npm (when npm is there), for the inbox's accessibility check in tests/test_inbox_browser.py
AXE_CORE := 4.14.1

.PHONY: run test test-any-hour lint typecheck unit cfn-lint bench deploy package clean

$(STAMP): requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found: install Python 3.11 (or make PYTHON=python3)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip<26.3"  # chalice 1.34 requires pip<26.3
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@if command -v npm >/dev/null 2>&1; then \
	  npm install --silent --no-audit --no-fund --save-exact --prefix $(VENV)/axe axe-core@$(AXE_CORE); \
	else echo "npm not found: the accessibility check will be skipped (apt-get install npm)"; fi
	touch $(STAMP)

## make run: the whole system locally (embedded AWS, fake Slack, API on :8000, queue pump)
run: $(STAMP)
	$(PY) -m devstack.run

## make test: lint, type-check, every test, and the CloudFormation lint of `chalice package`
test: $(STAMP) lint typecheck unit cfn-lint

## make test-any-hour: every test again at a weekday 10:00 London and on a Saturday night (Debian's faketime)
test-any-hour: $(STAMP)
	@command -v faketime >/dev/null 2>&1 || { echo "faketime not found: apt-get install faketime"; exit 1; }
	@# An offset from now (not a frozen start), so every process the tests start sees one clock.
	for at in '2026-12-09 10:00:00' '2026-12-12 23:30:00'; do \
	  offset=$$(( $$(date -u -d "$$at" +%s) - $$(date -u +%s) )); \
	  echo "== every test at $$at UTC (London: GMT) =="; \
	  FUZZ_FAST_EXAMPLES=300 FUZZ_STACK_EXAMPLES=20 TZ=UTC faketime -f "$$( [ $$offset -ge 0 ] && echo +)$$offset" \
	    $(PY) -m pytest -q -n 2 || exit 1; \
	done

lint: $(STAMP)
	$(VENV)/bin/ruff check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy chalicelib

unit: $(STAMP)
	$(PY) -m pytest -q -n 2

cfn-lint: $(STAMP)
	rm -rf build/cfn && AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} SUPPORT_HERO_STAGE=$(STAGE) $(VENV)/bin/chalice package --stage $(STAGE) --merge-template infra/alarms.json build/cfn >/dev/null
	$(VENV)/bin/cfn-lint build/cfn/sam.json

## make bench: ack-path cold start and warm latency vs slack-bolt, DynamoDB requests per event, reply extraction vs two libraries
bench: $(STAMP)
	$(PY) -m bench.run

## make deploy STAGE=prod: bootstrap tables/queues in the account, then chalice deploy
deploy: $(STAMP)
	SUPPORT_HERO_STAGE=$(STAGE) $(PY) -m chalicelib.cli bootstrap
	SUPPORT_HERO_STAGE=$(STAGE) $(VENV)/bin/chalice deploy --stage $(STAGE)
	SUPPORT_HERO_STAGE=$(STAGE) $(PY) -m chalicelib.cli bootstrap  # now that the email function exists

package: $(STAMP)
	AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} SUPPORT_HERO_STAGE=$(STAGE) \
		$(VENV)/bin/chalice package --stage $(STAGE) --merge-template infra/alarms.json build/package

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache
