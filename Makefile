# swift-cni — build, install, test.
#   make build      fully static, stripped plugins in .build/bin (with symbols: .build/release); nothing needed at run time
#   make install    copy the plugins into $(CNI_BIN_DIR)
#   make test       install missing Debian packages, build, run every lane: this machine's kernel, then
#                   the stock-kernel VM lane
#   make test-vm    only the stock-kernel VM lane (Tests/vm: Debian's kernel in QEMU)
#   make demo       a short real run in throwaway network namespaces
#   make bench      ours against the reference plugins and the kernel floor, side by side; writes bench/results.md
#   make startup-order  re-profile which functions the plugins run (linked first by make build)
#   make fuzz       the libFuzzer targets for FUZZ_SECONDS each (make fuzz-smoke: a few seconds, part of make test)
#   make agent      the node agent swift-cni-node (Agent/, its own package), fully static
#   make image      the OCI image archive $(IMAGE): the plugins and the agent, FROM scratch
#   make agent-test the agent's black-box tests (Agent/Tests: an HTTPS stand-in of the API), deploy-check
#                   and image-test: the manifests of deploy/ and the image archive; all part of make test

SWIFT        ?= swift
CC           ?= cc
CNI_BIN_DIR  ?= /opt/cni/bin
PLUGINS      := tuning bridge macvtap layer2-overlay
# SwiftPM's scratch path; everything built (static archives, runner, fuzzers) lives under it.
SCRATCH      ?= $(CURDIR)/.build
RELEASE_DIR  := $(SCRATCH)/release
# What ships, what make install copies and what the test lanes and the benchmark exec: the release
# executables stripped (the same code as in $(RELEASE_DIR), which keeps the symbols for profiling).
BIN_DIR      := $(SCRATCH)/bin
RUNNER       := $(SCRATCH)/cnirunner
GOPATH_DIR   := $(SCRATCH)/gopath
# Only static archives. The release build reads CNetlink's pkg-config file from here, which puts this
# directory first on the linker's search path, so `-lnl-3` and friends resolve to the archives.
STATIC_LIBS  := $(SCRATCH)/static-libs
STATIC_ARCHIVES := libnl-3.a libnl-route-3.a libnftnl.a
STATIC_OBJECTS  := static-executable.o no-nss.o

# Fully static executables: glibc, libstdc++ and the Swift runtime come from their static archives, so
# there is no dynamic loader and no shared library at run time (an empty chroot or an image FROM scratch
# runs them). StaticLibs/static-executable.c keeps the Swift runtime from needing /proc at start-up.
# Reusable for any SwiftPM package, e.g. one under Agent/:
#   $(SWIFT) build -c release --package-path Agent $(STATIC_EXECUTABLE)   (after `make static-libs`)
STATIC_EXECUTABLE = --static-swift-stdlib -Xswiftc -static-executable \
                    $(foreach f,swift_copyAuxiliaryExecutablePath dlopen,-Xlinker --wrap=$(f)) \
                    -Xlinker $(STATIC_LIBS)/static-executable.o
# The plugins' name lookups answer "not found" without NSS (StaticLibs/no-nss.c): they use numbers only.
# Not for a program that resolves host names (the agent): static glibc then reads /etc/nsswitch.conf and
# uses its built-in files and dns modules.
NSS_FUNCTIONS := getpwnam_r getpwuid_r getgrnam_r getgrgid_r getaddrinfo getnameinfo getprotobyname getprotobynumber
NO_NSS        = $(foreach f,$(NSS_FUNCTIONS),-Xlinker --wrap=$(f)) -Xlinker $(STATIC_LIBS)/no-nss.o
# The functions a plugin runs are linked first (lld orders them; gold, swiftc's default, cannot), so
# start-up touches a few hundred KiB of code instead of pages all over the text: less RSS, fewer page
# faults. The list is profiled by `make startup-order` (scripts/startup-order.sh) and committed.
STARTUP_ORDER := StaticLibs/startup-order.txt
HOT_FIRST     = -Xswiftc -use-ld=lld -Xlinker --symbol-ordering-file=$(CURDIR)/$(STARTUP_ORDER) -Xlinker --no-warn-symbol-ordering

# What the build and the test lanes need from Debian: C libraries (glibc's and libstdc++'s static archives
# too), the libcni runner's Go toolchain and libcni, the reference plugins for side-by-side tests, and the
# tools the tests read state with.
DEB_PACKAGES := pkg-config gcc binutils libc6-dev libstdc++-12-dev libnl-3-dev libnl-route-3-dev libmnl-dev libnftnl-dev \
                golang-go golang-github-appc-cni-dev containernetworking-plugins iproute2 nftables iputils-ping
# The stock-kernel VM lane: QEMU, a static busybox and cpio for the initramfs, kmod for depmod, xz for
# the kernel image. The kernel itself is fetched with apt-get download into $(VM_CACHE) (Tests/vm/build-guest.sh).
VM_DEB_PACKAGES := qemu-system-x86 busybox-static cpio kmod xz-utils
# The agent's tests make their CA with openssl; the image is written by umoci and read back by skopeo.
AGENT_DEB_PACKAGES := openssl umoci skopeo
# deploy-check: the Kubernetes schemas, offline (PyYAML and jsonschema come with it).
PIP_PACKAGES := kubernetes-validate==1.37.0
VM_CACHE     ?= /var/cache/swift-cni-vm
VM_TIMEOUT   ?= 2700
# Boots the guest once and runs every suite of Tests/vm/suites in it (VM_SUITES='...' runs others).
VM_LANE       = SWIFT_CNI_BIN=$(BIN_DIR) CNI_RUNNER=$(RUNNER) SCNI_TEST_BINARY=$(SCRATCH)/debug/swift-cniPackageTests.xctest VM_CACHE=$(VM_CACHE) VM_TIMEOUT=$(VM_TIMEOUT) \
                Tests/vm/run.sh Tests/vm/run-suites.sh

# The node agent: its own package, so the plugins' package never resolves SwiftNIO. Fully static
# (-static-executable: glibc too), so it runs in an image FROM scratch; debug info stripped (symbols kept).
AGENT_SCRATCH := $(SCRATCH)/agent
AGENT        := $(AGENT_SCRATCH)/release/swift-cni-node
IMAGE        := $(SCRATCH)/swift-cni-image.tar
IMAGE_TAG    ?= 0.1.0
IMAGE_FILES   = $(AGENT) $(addprefix $(BIN_DIR)/,$(PLUGINS))

.PHONY: build install deps vm-deps agent-deps static-libs check-static startup-order runner test test-vm unit-test demo bench \
        fuzz fuzz-smoke fuzz-build clean agent agent-test deploy-check image image-test

build: deps static-libs
	PKG_CONFIG_PATH=$(STATIC_LIBS)/pkgconfig $(SWIFT) build -c release $(STATIC_EXECUTABLE) $(NO_NSS) $(HOT_FIRST) --scratch-path $(SCRATCH)
	@mkdir -p $(BIN_DIR)
	@for p in $(PLUGINS); do strip --strip-all -o $(BIN_DIR)/$$p $(RELEASE_DIR)/$$p; done
	@sh scripts/check-static.sh $(addprefix $(BIN_DIR)/,$(PLUGINS))

# Debian's static libnl and libnftnl archives, linked in by name, libmnl.a built from
# StaticLibs/mnl.c (Debian ships no libmnl.a), a libnl-route-3.0.pc naming this directory, and the
# objects of STATIC_EXECUTABLE and NO_NSS. Rebuilt only when a source or this Makefile changes.
static-libs: $(STATIC_LIBS)/libmnl.a $(addprefix $(STATIC_LIBS)/,$(STATIC_OBJECTS))

$(STATIC_LIBS)/%.o: StaticLibs/%.c Makefile
	@mkdir -p $(STATIC_LIBS)
	$(CC) -c -O2 -Wall -Wextra -Werror -o $@ $<

$(STATIC_LIBS)/libmnl.a: StaticLibs/mnl.c Makefile
	@mkdir -p $(STATIC_LIBS)/pkgconfig
	@printf 'Name: libnl-route\nDescription: libnl-route-3 and libnl-3, static (swift-cni)\nVersion: %s\nLibs: -L%s -lnl-route-3 -lnl-3\nCflags: %s\n' \
		"$$(pkg-config --modversion libnl-route-3.0)" "$(STATIC_LIBS)" "$$(pkg-config --cflags libnl-route-3.0)" \
		> $(STATIC_LIBS)/pkgconfig/libnl-route-3.0.pc
	@for a in $(STATIC_ARCHIVES); do \
		path=$$($(CC) -print-file-name=$$a); \
		[ -f "$$path" ] || { echo "$$a not found: make deps installs libnl-3-dev, libnl-route-3-dev, libnftnl-dev"; exit 1; }; \
		ln -sf "$$path" $(STATIC_LIBS)/$$a; \
	done
	$(CC) -c -O2 -fPIC -Wall -Wextra -Werror -o $(STATIC_LIBS)/mnl.o StaticLibs/mnl.c
	rm -f $@ && ar rcs $@ $(STATIC_LIBS)/mnl.o

# Fails unless every plugin is a stripped static executable without NSS that runs in an empty chroot.
check-static:
	sh scripts/check-static.sh $(addprefix $(BIN_DIR)/,$(PLUGINS))

# Re-profiles which functions the plugins run (as root, valgrind); then `make build` links them first.
startup-order: build
	@command -v valgrind >/dev/null || { echo "startup-order needs valgrind (apt-get install valgrind)"; exit 1; }
	sh scripts/startup-order.sh $(RELEASE_DIR) $(STARTUP_ORDER)

install: build
	install -d $(CNI_BIN_DIR)
	for p in $(PLUGINS); do install -m 0755 $(BIN_DIR)/$$p $(CNI_BIN_DIR)/$$p; done

# Installs only what is missing, so a warm machine pays nothing.
define install_missing
	@missing=""; for p in $(1); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

deps:
	$(call install_missing,$(DEB_PACKAGES))

# Every list in one go (one apt-get update on a fresh machine): what `make test` needs.
vm-deps:
	$(call install_missing,$(DEB_PACKAGES) $(VM_DEB_PACKAGES) $(AGENT_DEB_PACKAGES))

agent-deps:
	$(call install_missing,$(AGENT_DEB_PACKAGES))

# It links the plugins' OverlayCore (the overlay reconcile), so it needs the same static libnl/libmnl.
agent: static-libs
	PKG_CONFIG_PATH=$(STATIC_LIBS)/pkgconfig $(SWIFT) build -c release --static-swift-stdlib -Xswiftc -static-executable -Xlinker --strip-debug \
		--package-path Agent --scratch-path $(AGENT_SCRATCH)
	@! readelf -lW $(AGENT) | grep -q INTERP || { echo "$(AGENT) is not statically linked"; exit 1; }

# Black box: `run` against an HTTPS stand-in of the API's Node list/watch, `install` under a loop
# exec'ing the plugins it replaces. Needs the plugins of `make build` and no network namespace.
agent-test: agent-deps agent build
	SWIFT_CNI_NODE=$(AGENT) SWIFT_CNI_BIN=$(BIN_DIR) python3 -m unittest discover -s Agent/Tests -p 'test_*.py'

deploy-check: build
	PIP_ROOT_USER_ACTION=ignore python3 -m pip install -q --disable-pip-version-check $(PIP_PACKAGES)
	SWIFT_CNI_BIN=$(BIN_DIR) python3 scripts/check-deploy.py

image: agent-deps agent build
	sh scripts/image.sh $(IMAGE) $(IMAGE_TAG) $(IMAGE_FILES)

image-test: image
	python3 scripts/check-image.py $(IMAGE) $(IMAGE_FILES)

# The cnitool-compatible runner, built offline against Debian's libcni (GOPATH mode).
runner: deps
	mkdir -p $(GOPATH_DIR)
	GO111MODULE=off GOPATH=$(GOPATH_DIR):/usr/share/gocode GOCACHE=$(SCRATCH)/gocache \
		go build -o $(RUNNER) ./Tests/cnirunner

# Unit tests only: no root, no namespaces.
unit-test:
	$(SWIFT) test --scratch-path $(SCRATCH) --filter "NetworkTypesTests|CNIKitTests|AttachTests"

# Every lane: unit, netlink in throwaway netns, black-box through libcni, fuzz smoke on this machine's
# kernel; then the same binaries inside a QEMU guest running Debian's stock kernel (Geneve, bridge VLAN
# filtering, 802.1q).
# The VM lane (one emulated vCPU, a core's worth of work for 20-odd minutes) runs while the host lane runs
# on the other core: its output goes to $(VM_LOG) and is printed when both are done; either failing fails.
VM_LOG := $(SCRATCH)/vm-lane.log
test: vm-deps build runner fuzz-smoke agent-test deploy-check image-test
	@[ "$$(id -u)" = 0 ] || { echo "make test creates network namespaces: run it as root"; exit 1; }
	sh scripts/check-mnl.sh $(SCRATCH)/mnl-check $(STATIC_LIBS)/mnl.o
	$(SWIFT) build --build-tests --scratch-path $(SCRATCH)
	@ip netns list | awk '{print $$1}' | sort > $(SCRATCH)/netns-before
	@echo "VM lane started in the background: $(VM_LOG)"; ( $(VM_LANE) > $(VM_LOG) 2>&1; echo $$? > $(VM_LOG).rc ) & \
	SWIFT_CNI_BIN=$(BIN_DIR) CNI_RUNNER=$(RUNNER) $(SWIFT) test --skip-build --scratch-path $(SCRATCH); host=$$?; \
	SWIFT_CNI_BIN=$(BIN_DIR) CNI_RUNNER=$(RUNNER) sh scripts/demo.sh > $(SCRATCH)/demo.log 2>&1 || { cat $(SCRATCH)/demo.log; echo "make demo failed"; host=1; }; \
	ip netns list | awk '{print $$1}' | sort | comm -13 $(SCRATCH)/netns-before - > $(SCRATCH)/netns-leftover; \
	if [ -s $(SCRATCH)/netns-leftover ]; then echo "tests left network namespaces behind:"; cat $(SCRATCH)/netns-leftover; host=1; fi; \
	echo "host lane done (status $$host); waiting for the VM lane"; wait; cat $(VM_LOG); \
	[ "$$host" = 0 ] && [ "$$(cat $(VM_LOG).rc)" = 0 ]

# Only the stock-kernel VM lane (Tests/vm/suites in one boot); `swift test` would build the same test binary.
test-vm: vm-deps build runner agent
	@[ "$$(id -u)" = 0 ] || { echo "make test-vm fetches a kernel into $(VM_CACHE): run it as root"; exit 1; }
	$(SWIFT) build --build-tests --scratch-path $(SCRATCH)
	$(VM_LANE)

demo: deps build runner
	SWIFT_CNI_BIN=$(BIN_DIR) CNI_RUNNER=$(RUNNER) sh scripts/demo.sh

# Not part of `make test`: minutes of netns churn, and its numbers need a quiet machine to mean much.
# BENCH_PAIRS / BENCH_PARALLEL_PAIRS / BENCH_WARMUP tune the sample sizes (see bench/bench.py).
bench: deps build runner
	@[ "$$(id -u)" = 0 ] || { echo "make bench creates network namespaces: run it as root"; exit 1; }
	@command -v strace >/dev/null && command -v perf >/dev/null && command -v valgrind >/dev/null || \
		echo "note: strace, perf (linux-perf) and valgrind make the profile section richer; missing ones are skipped"
	$(CC) -O2 -Wall -Wextra -o $(SCRATCH)/spawn bench/spawn.c
	SWIFT_CNI_BIN=$(BIN_DIR) SWIFT_CNI_SYMBOLS=$(RELEASE_DIR) CNI_RUNNER=$(RUNNER) python3 bench/bench.py --out bench/results.md

# libFuzzer targets (Fuzz/): built once into $(SCRATCH)/fuzz, rebuilt only when their sources change.
FUZZ_SECONDS ?= 300
fuzz-build:
	$(MAKE) -s -f Fuzz/Makefile SCRATCH=$(SCRATCH) SWIFT=$(SWIFT)

# A few seconds per target over the committed corpus (the regression inputs) and fresh mutations.
fuzz-smoke: fuzz-build
	sh Fuzz/run.sh $(SCRATCH)/fuzz 5

fuzz: fuzz-build
	sh Fuzz/run.sh $(SCRATCH)/fuzz $(FUZZ_SECONDS)

clean:
	rm -rf $(SCRATCH)
