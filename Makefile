# jetpack-partner: build, test, demo and install.
#   make demo      provisioning round trip against a fresh local sandbox (CLI, C, PHP, Python)
#   make test      every test suite (Rust, C under valgrind, PHP, Python, benchmark smoke)
#   make install PREFIX=/usr/local

CARGO    ?= cargo
PREFIX   ?= /usr/local
LIBDIR   ?= $(PREFIX)/lib
INCDIR   ?= $(PREFIX)/include
BINDIR   ?= $(PREFIX)/bin
PCDIR    ?= $(LIBDIR)/pkgconfig
DESTDIR  ?=
CBINDGEN ?= $(shell command -v cbindgen || echo $(HOME)/.cargo/bin/cbindgen)
RELEASE  := $(or $(CARGO_TARGET_DIR),target)/release

# Every script finds the build outputs through these.
export JETPACK_PARTNER_LIB     ?= $(abspath $(RELEASE))/libjetpack_partner.so
export JETPACK_PARTNER_CLI     ?= $(abspath $(RELEASE))/jetpack-partner
export JETPACK_PARTNER_SANDBOX ?= $(abspath $(RELEASE))/jetpack-partner-sandbox
VERSION  := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
SOVERSION := 0

.PHONY: all deps build header check-header check-library lint test test-rust test-c test-php test-python \
        test-bench-smoke test-bench-wan-smoke test-install demo install uninstall clean

all: build

# Prerequisites of the demo and the tests (PHP with FFI, PHPUnit, valgrind, pytest, cbindgen...).
deps:
	bash scripts/install-deps.sh

build:
	$(CARGO) build --release --workspace
	@# The SONAME is libjetpack_partner.so.$(SOVERSION): programs linked against the build tree need it.
	ln -sf libjetpack_partner.so $(RELEASE)/libjetpack_partner.so.$(SOVERSION)

# src/ffi/code.rs (jp_code) is generated from core's error table by a test that rewrites it when
# stale; the header is then generated from src/ffi.
header:
	-$(CARGO) test -q -p jetpack-partner --lib code_gen >/dev/null 2>&1
	$(CARGO) test -q -p jetpack-partner --lib code_gen
	$(CBINDGEN) --config cbindgen.toml --output include/jetpack_partner.h

# The committed header must be exactly what the pinned cbindgen generates.
check-header:
	@$(CARGO) test -q -p jetpack-partner --lib code_gen >/dev/null 2>&1 || \
	  { echo "src/ffi/code.rs is stale: run 'make header' and commit it"; exit 1; }
	@tmp=$$(mktemp) && $(CBINDGEN) --config cbindgen.toml --output $$tmp && \
	  if cmp -s $$tmp include/jetpack_partner.h; then rm -f $$tmp; echo "header: up to date"; \
	  else diff -u include/jetpack_partner.h $$tmp; rm -f $$tmp; \
	       echo "include/jetpack_partner.h is stale: run 'make header' and commit it"; exit 1; fi

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	@# Only one toolchain here: the declared rust-versions are checked against Cargo.lock instead.
	python3 scripts/check-rust-version.py

test-rust:
	$(CARGO) test --workspace

test-c: build
	bash tests/c/run.sh

test-php: build
	bash bindings/php/run-tests.sh

test-python: build
	bash bindings/python/run-tests.sh

test-bench-smoke: build
	bash bench/run.sh --smoke

# The WAN harness (TLS 1.3, added latency, round trips counted): every row runs, no ratio asserted.
test-bench-wan-smoke: build
	bash bench/run.sh --wan --smoke

# What the shipped static library exports: the C ABI, and no fuzzing entry points.
check-library: build
	@nm -C $(RELEASE)/libjetpack_partner.a 2>/dev/null | grep -q ' T jp_provision$$' || \
	  { echo "libjetpack_partner.a does not export jp_provision"; exit 1; }
	@if nm -C $(RELEASE)/libjetpack_partner.a 2>/dev/null | grep -i fuzzing; then \
	  echo "libjetpack_partner.a carries fuzzing symbols"; exit 1; fi
	@echo "library: exports the C ABI, no fuzzing symbols"

test: deps lint check-header build check-library test-rust test-c test-install test-php test-python test-bench-smoke test-bench-wan-smoke
	@echo "all test suites passed"

# Installs into a temporary prefix and builds the C example with pkg-config, as a C program would.
test-install: build
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	  $(MAKE) --no-print-directory install PREFIX=$$tmp >/dev/null && \
	  export PKG_CONFIG_PATH=$$tmp/lib/pkgconfig && \
	  $(CC) examples/c/provision.c $$(pkg-config --cflags --libs jetpack-partner) \
	    -Wl,-rpath,$$tmp/lib -o $$tmp/provision && \
	  readelf -d $$tmp/provision | grep -q 'NEEDED.*libjetpack_partner.so.$(SOVERSION)' && \
	  { $$tmp/provision >/dev/null 2>&1; test $$? -eq 2; } && \
	  echo "install: a C program builds with pkg-config and runs against the installed library"

demo: deps build
	bash examples/run-demo.sh

install: build
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(PCDIR)
	install -m 0755 $(RELEASE)/libjetpack_partner.so $(DESTDIR)$(LIBDIR)/libjetpack_partner.so.$(VERSION)
	ln -sf libjetpack_partner.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libjetpack_partner.so.$(SOVERSION)
	ln -sf libjetpack_partner.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libjetpack_partner.so
	install -m 0644 $(RELEASE)/libjetpack_partner.a $(DESTDIR)$(LIBDIR)/libjetpack_partner.a
	install -m 0644 include/jetpack_partner.h $(DESTDIR)$(INCDIR)/jetpack_partner.h
	install -m 0755 $(RELEASE)/jetpack-partner $(DESTDIR)$(BINDIR)/jetpack-partner
	install -m 0755 $(RELEASE)/jetpack-partner-sandbox $(DESTDIR)$(BINDIR)/jetpack-partner-sandbox
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' -e 's|@INCDIR@|$(INCDIR)|g' \
	    -e 's|@VERSION@|$(VERSION)|g' jetpack-partner.pc.in > $(DESTDIR)$(PCDIR)/jetpack-partner.pc

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libjetpack_partner.so* $(DESTDIR)$(LIBDIR)/libjetpack_partner.a \
	      $(DESTDIR)$(INCDIR)/jetpack_partner.h $(DESTDIR)$(BINDIR)/jetpack-partner \
	      $(DESTDIR)$(BINDIR)/jetpack-partner-sandbox $(DESTDIR)$(PCDIR)/jetpack-partner.pc

clean:
	$(CARGO) clean
