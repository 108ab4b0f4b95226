# swift-cni — build, install, test.
#   make build      release binaries (static Swift runtime) in .build/release
#   make install    copy the plugins into $(CNI_BIN_DIR)
#   make test       install missing Debian packages, build, run every lane this kernel supports
#   make demo       a short real run in throwaway network namespaces
#   make bench      ours against the reference plugins, side by side; writes bench/results.md

SWIFT        ?= swift
CNI_BIN_DIR  ?= /opt/cni/bin
PLUGINS      := tuning bridge macvtap
RELEASE_DIR  := $(CURDIR)/.build/release
RUNNER       := $(CURDIR)/.build/cnirunner
GOPATH_DIR   := $(CURDIR)/.build/gopath

# What the build and the test lanes need from Debian: C libraries, the libcni runner's Go toolchain and
# libcni, the reference plugins for side-by-side tests, and the tools the tests read state with.
DEB_PACKAGES := pkg-config libnl-3-dev libnl-route-3-dev libmnl-dev libnftnl-dev \
                golang-go golang-github-appc-cni-dev containernetworking-plugins iproute2 nftables iputils-ping

.PHONY: build install deps runner test unit-test demo bench clean

build:
	$(SWIFT) build -c release --static-swift-stdlib

install: build
	install -d $(CNI_BIN_DIR)
	for p in $(PLUGINS); do install -m 0755 $(RELEASE_DIR)/$$p $(CNI_BIN_DIR)/$$p; done

# Installs only what is missing, so a warm machine pays nothing.
deps:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# The cnitool-compatible runner, built offline against Debian's libcni (GOPATH mode).
runner: deps
	mkdir -p $(GOPATH_DIR)
	GO111MODULE=off GOPATH=$(GOPATH_DIR):/usr/share/gocode GOCACHE=$(CURDIR)/.build/gocache \
		go build -o $(RUNNER) ./Tests/cnirunner

# Unit tests only: no root, no namespaces.
unit-test:
	$(SWIFT) test --filter "NetworkTypesTests|CNIKitTests|AttachTests"

# Every lane this machine's kernel supports: unit, netlink in throwaway netns, black-box through libcni.
test: deps build runner
	@[ "$$(id -u)" = 0 ] || { echo "make test creates network namespaces: run it as root"; exit 1; }
	@ip netns list | awk '{print $$1}' | sort > .build/netns-before
	SWIFT_CNI_BIN=$(RELEASE_DIR) CNI_RUNNER=$(RUNNER) $(SWIFT) test
	@ip netns list | awk '{print $$1}' | sort | comm -13 .build/netns-before - > .build/netns-leftover; \
	if [ -s .build/netns-leftover ]; then echo "tests left network namespaces behind:"; cat .build/netns-leftover; exit 1; fi

demo: deps build runner
	SWIFT_CNI_BIN=$(RELEASE_DIR) CNI_RUNNER=$(RUNNER) sh scripts/demo.sh

# Not part of `make test`: minutes of netns churn, and its numbers need a quiet machine to mean much.
# BENCH_PAIRS / BENCH_PARALLEL_PAIRS / BENCH_WARMUP tune the sample sizes (see bench/bench.py).
bench: deps build runner
	@[ "$$(id -u)" = 0 ] || { echo "make bench creates network namespaces: run it as root"; exit 1; }
	@command -v strace >/dev/null && command -v perf >/dev/null && command -v valgrind >/dev/null || \
		echo "note: strace, perf (linux-perf) and valgrind make the profile section richer; missing ones are skipped"
	$(CC) -O2 -Wall -Wextra -o .build/spawn bench/spawn.c
	SWIFT_CNI_BIN=$(RELEASE_DIR) CNI_RUNNER=$(RUNNER) python3 bench/bench.py --out bench/results.md

clean:
	rm -rf .build
