# sealca build: `make` builds build/sealca; see README.md for the other targets.
# Every target that needs packages first runs scripts/deps.sh (idempotent, fast when all is present).

CC       ?= cc
PKGS     := libcrypto sqlite3 libpq libmicrohttpd libseccomp ldap jansson libsodium cairo pangocairo \
            libqrencode libzip libxml-2.0 libpng libjpeg libcurl poppler-glib fontconfig
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
WARN     := -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wstrict-prototypes \
            -Wmissing-prototypes -Wformat=2 -Wvla -Wno-unused-parameter
CSTD     := -std=c11 -D_GNU_SOURCE
INC      := -Isrc
OPT      ?= -O2 -g
CFLAGS_BASE := $(CSTD) $(WARN) $(INC) $(PKG_CFLAGS)
SAN      := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
# The sanitizer build is the test build: only it honours the environment test hooks
# (SEALCA_RA_CLOCK_OFFSET, SEALCA_CRASH_AT; src/common/testhook.h). build/sealca refuses them.
TESTDEF  := -DSEALCA_TEST_HOOKS

LIB_SRC  := $(sort $(shell find src -name '*.c' ! -path 'src/cli/*'))
CLI_SRC  := $(sort $(wildcard src/cli/*.c))
HDRS     := $(shell find src -name '*.h')
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))

# release objects
OBJ      := $(LIB_SRC:%.c=build/obj/%.o)
# sanitizer objects (make test)
SOBJ     := $(LIB_SRC:%.c=build/asan/obj/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=build/asan/tests/%)

.PHONY: print-pkgs all deps run test unit integration browser screenshots lint fuzz bench soak clean format ctgrind

all: build/sealca

deps:
	@scripts/deps.sh

build/obj/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS_BASE) $(OPT) -c $< -o $@

build/libsealca.a: $(OBJ)
	@rm -f $@
	@ar rcs $@ $^

build/sealca: $(CLI_SRC) src/cli/cli.h build/libsealca.a
	@echo "  LD      $@"
	@$(CC) $(CFLAGS_BASE) $(OPT) $(CLI_SRC) build/libsealca.a $(PKG_LIBS) -o $@

build/asan/obj/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC asan $<"
	@$(CC) $(CFLAGS_BASE) $(TESTDEF) -O1 -g $(SAN) -c $< -o $@

build/asan/libsealca.a: $(SOBJ)
	@rm -f $@
	@ar rcs $@ $^

build/asan/sealca: $(CLI_SRC) src/cli/cli.h build/asan/libsealca.a
	@echo "  LD asan $@"
	@$(CC) $(CFLAGS_BASE) $(TESTDEF) -O1 -g $(SAN) $(CLI_SRC) build/asan/libsealca.a $(PKG_LIBS) -o $@

build/asan/tests/%: tests/unit/%.c build/asan/libsealca.a tests/unit/testutil.h tests/unit/testdb.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(TESTDEF) -Itests/unit -O1 -g $(SAN) $< build/asan/libsealca.a $(PKG_LIBS) -lcmocka -o $@

run: deps build/sealca
	@scripts/run-demo.sh

# make test: unit tests (cmocka) and integration tests, all under ASan+UBSan, once with each
# SM2 engine, the store tests on SQLite and on a throwaway PostgreSQL cluster that
# scripts/pg-test-env.sh starts (unix socket only) and removes afterwards. PostgreSQL missing
# fails the run; SEALCA_TEST_NO_PG=1 opts out loudly. unit / integration alone start their own
# cluster unless SEALCA_TEST_PG_URL is already set. Then the browser tests (headless chromium
# through the web UI) and the constant-time audit of the SM2 engine under valgrind.
test: deps
	@scripts/pg-test-env.sh $(MAKE) --no-print-directory unit integration
	@$(MAKE) --no-print-directory browser
	@$(MAKE) --no-print-directory ctgrind

# The ASan CLI is built with the unit tests only once src/cli/main.c exists, so library
# branches without a CLI can still run their unit tests.
unit: $(UNIT_BIN) $(if $(wildcard src/cli/main.c),build/asan/sealca)
	@scripts/pg-test-env.sh scripts/run-unit.sh $(UNIT_BIN)

integration: build/asan/sealca build/sealca
	@scripts/pg-test-env.sh scripts/run-integration.sh build/asan/sealca

# Browser tests: playwright-core (npm ci into tests/browser/node_modules) driving Debian's
# chromium through the portal and the staff console against a fresh `sealca serve`, the ASan
# build like the other tests (a sanitizer report from the server fails the run).
browser: deps build/asan/sealca
	@scripts/run-browser.sh build/asan/sealca

# The same run, keeping the screenshots of the main pages in docs/screenshots. The test build:
# the renewal scenario needs the SEALCA_RA_CLOCK_OFFSET hook, which build/sealca refuses.
screenshots: deps build/asan/sealca
	@SEALCA_SHOTS=$(CURDIR)/docs/screenshots scripts/run-browser.sh build/asan/sealca

lint: deps
	@scripts/lint.sh

# Constant-time audit of the SM2 engine under valgrind (scripts/ctgrind.sh).
ctgrind:
	@scripts/ctgrind.sh

fuzz: deps
	@scripts/fuzz.sh $(or $(SECONDS_PER_TARGET),20)

bench: deps build/sealca
	@scripts/pg-test-env.sh scripts/bench.sh

soak: deps
	@SEALCA_SOAK=1 $(MAKE) --no-print-directory unit

format:
	clang-format -i $(LIB_SRC) $(HDRS) $(CLI_SRC) $(UNIT_SRC) $(FUZZ_SRC)

print-pkgs:
	@echo $(PKGS)

clean:
	rm -rf build
