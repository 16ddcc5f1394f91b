# yiwang — the two commands: `make demo` runs the demo district, `make test` runs the tests.
GO      ?= go
ADDR    ?= 127.0.0.1:8080
DATA    ?= ./yiwang-data
VENDOR  := internal/web/static/vendor

.PHONY: demo test test-postgres test-short build assets cross fuzz bench clean

## demo: start the server with the demo district on embedded SQLite (loaded into an empty $(DATA))
demo: assets
	$(GO) run ./cmd/yiwang serve --demo --addr $(ADDR) --data $(DATA)

## test: every test, with the race detector. Tests that need a server this
## machine may lack skip and name the variable that enables them.
test: assets
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 25m ./...

## test-postgres: the application suite (internal/app) again on PostgreSQL, each
## test on its own scratch schema of the server YIWANG_TEST_POSTGRES names
## (required: the run fails without it).
test-postgres: assets
	YIWANG_TEST_DB=postgres $(GO) test -race -count=1 -timeout 25m ./internal/app/

## test-short: the tests without the browser assets step
test-short:
	$(GO) test -race -count=1 ./...

build: assets
	$(GO) build -o yiwang ./cmd/yiwang

## cross: build without cgo for the domestic server platforms (Kunpeng, Phytium: arm64; Loongson: loong64)
cross:
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -o /dev/null ./cmd/yiwang
	CGO_ENABLED=0 GOOS=linux GOARCH=loong64 $(GO) build -o /dev/null ./cmd/yiwang
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 $(GO) build -o /dev/null ./cmd/yiwang

## assets: install the browser libraries from npm (package-lock.json) and copy
## their dist files into the embedded static folder. Nothing here is committed.
## Without npm the server still builds; pages then say the map library is missing.
## `npm ci` (2-4 s) runs only when package.json or package-lock.json changed
## since the last install (a checksum kept in node_modules) or a vendored file
## is missing; `make assets FORCE_ASSETS=1` runs it regardless.
ASSETS_STAMP := node_modules/.yiwang-assets.cksum
VENDOR_FILES := $(VENDOR)/leaflet/leaflet.js $(VENDOR)/leaflet/leaflet.css $(VENDOR)/leaflet/images/marker-icon.png $(VENDOR)/echarts/echarts.min.js
assets:
	@if ! command -v npm >/dev/null 2>&1; then \
		echo "npm not found: skipping browser assets (maps and charts will say they are missing)"; \
	elif [ -z "$(FORCE_ASSETS)" ] && [ -f $(ASSETS_STAMP) ] && [ "$$(cksum package.json package-lock.json)" = "$$(cat $(ASSETS_STAMP))" ] \
		$(foreach f,$(VENDOR_FILES),&& [ -f $(f) ]); then \
		echo "browser assets up to date (package-lock.json unchanged): npm ci skipped"; \
	else \
		echo "npm ci: installing the map and chart libraries (leaflet, echarts) from package-lock.json ..." && \
		rm -f $(ASSETS_STAMP) && \
		npm ci --no-audit --no-fund --loglevel=error && \
		mkdir -p $(VENDOR)/leaflet/images $(VENDOR)/echarts && \
		cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css $(VENDOR)/leaflet/ && \
		cp node_modules/leaflet/dist/images/*.png $(VENDOR)/leaflet/images/ && \
		cp node_modules/echarts/dist/echarts.min.js $(VENDOR)/echarts/ && \
		cksum package.json package-lock.json > $(ASSETS_STAMP) ; \
	fi

## fuzz: every fuzz target (parsers of outside input) for FUZZTIME each
fuzz:
	FUZZTIME=$(or $(FUZZTIME),5s) ./scripts/fuzz.sh

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf $(VENDOR) node_modules yiwang
