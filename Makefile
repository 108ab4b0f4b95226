# swift-cni — build, install, test.
#   make build      release binaries (static Swift runtime) in .build/release
#   make install    copy the plugins into $(CNI_BIN_DIR)
#   make test       install missing Debian packages, build, run every lane: this machine's kernel, then
#                   the stock-kernel VM lane
#   make test-vm    only the stock-kernel VM lane (Tests/vm: Debian's kernel in QEMU)
#   make demo       a short real run in throwaway network namespaces

SWIFT        ?= swift
CNI_BIN_DIR  ?= /opt/cni/bin
PLUGINS      := tuning
RELEASE_DIR  := $(CURDIR)/.build/release
RUNNER       := $(CURDIR)/.build/cnirunner
GOPATH_DIR   := $(CURDIR)/.build/gopath

# What the build and the test lanes need from Debian: C libraries, the libcni runner's Go toolchain and
# libcni, the reference plugins for side-by-side tests, and the tools the tests read state with.
DEB_PACKAGES := pkg-config libnl-3-dev libnl-route-3-dev libmnl-dev libnftnl-dev \
                golang-go golang-github-appc-cni-dev containernetworking-plugins iproute2 nftables iputils-ping
# The stock-kernel VM lane: QEMU, a static busybox and cpio for the initramfs, kmod for depmod, xz for
# the kernel image. The kernel itself is fetched with apt-get download into $(VM_CACHE) (Tests/vm/build-guest.sh).
VM_DEB_PACKAGES := qemu-system-x86 busybox-static cpio kmod xz-utils
VM_CACHE     ?= /var/cache/swift-cni-vm
VM_TIMEOUT   ?= 600
# Boots the guest once and runs every suite of Tests/vm/suites in it (VM_SUITES='...' runs others).
VM_LANE       = SWIFT_CNI_BIN=$(RELEASE_DIR) CNI_RUNNER=$(RUNNER) VM_CACHE=$(VM_CACHE) VM_TIMEOUT=$(VM_TIMEOUT) \
                Tests/vm/run.sh Tests/vm/run-suites.sh

.PHONY: build install deps vm-deps runner test test-vm unit-test demo clean

build:
	$(SWIFT) build -c release --static-swift-stdlib

install: build
	install -d $(CNI_BIN_DIR)
	for p in $(PLUGINS); do install -m 0755 $(RELEASE_DIR)/$$p $(CNI_BIN_DIR)/$$p; done

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

# Both lists in one go (one apt-get update on a fresh machine): what `make test` needs.
vm-deps:
	$(call install_missing,$(DEB_PACKAGES) $(VM_DEB_PACKAGES))

# The cnitool-compatible runner, built offline against Debian's libcni (GOPATH mode).
runner: deps
	mkdir -p $(GOPATH_DIR)
	GO111MODULE=off GOPATH=$(GOPATH_DIR):/usr/share/gocode GOCACHE=$(CURDIR)/.build/gocache \
		go build -o $(RUNNER) ./Tests/cnirunner

# Unit tests only: no root, no namespaces.
unit-test:
	$(SWIFT) test --filter "NetworkTypesTests|CNIKitTests|AttachTests"

# Every lane: unit, netlink in throwaway netns, black-box through libcni on this machine's kernel; then
# the same binaries inside a QEMU guest running Debian's stock kernel (Geneve, bridge VLAN filtering, 802.1q).
test: vm-deps build runner
	@[ "$$(id -u)" = 0 ] || { echo "make test creates network namespaces: run it as root"; exit 1; }
	SWIFT_CNI_BIN=$(RELEASE_DIR) CNI_RUNNER=$(RUNNER) $(SWIFT) test
	@leftover=$$(ip netns list | grep '^scni-' || true); \
	if [ -n "$$leftover" ]; then echo "tests left network namespaces behind: $$leftover"; exit 1; fi
	$(VM_LANE)

# Only the stock-kernel VM lane (Tests/vm/suites in one boot); `swift test` would build the same test binary.
test-vm: vm-deps build runner
	@[ "$$(id -u)" = 0 ] || { echo "make test-vm fetches a kernel into $(VM_CACHE): run it as root"; exit 1; }
	$(SWIFT) build --build-tests
	$(VM_LANE)

demo: deps build runner
	SWIFT_CNI_BIN=$(RELEASE_DIR) CNI_RUNNER=$(RUNNER) sh scripts/demo.sh

clean:
	rm -rf .build
