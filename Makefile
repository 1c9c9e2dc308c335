# SPDX-License-Identifier: GPL-2.0
#
# kvmm: out-of-tree build, selftests and emulated test hosts.
#
#   make                 build kvmm.ko (KDIR= to pick the kernel headers)
#   make W=1             ... with extra warnings (must stay silent)
#   make sparse          run sparse (C=2) over kvmm; fails on any report
#   make selftests       build the selftests (static binaries)
#   make deps            install build and test dependencies (apt)
#   make run             boot the default test host, load kvmm, show it
#   make check           run the selftests in every test host configuration
#   make check REF=1     ... against Linux's own KVM (the reference)
#   make check CONFIGS="svm vmx"   ... in some configurations only
#   make bench           kvmm/KVM time ratios in the svm host

# Headers of the running kernel when present, else the newest Debian
# linux-headers-*-amd64 (the build machines run another kernel).
# KDIR_GIVEN is what the caller set (command line or environment, maybe
# empty): `make run` and `make check` pass only that on, because on a
# fresh machine the headers appear only once check.sh has installed them,
# and a KDIR computed (empty) here before that would stick.
KDIR_GIVEN := $(strip $(KDIR))
ifeq ($(KDIR_GIVEN),)
KDIR = $(firstword $(wildcard /lib/modules/$(shell uname -r)/build) \
	$(lastword $(sort $(wildcard /usr/src/linux-headers-*-amd64))))
endif

SRC := $(CURDIR)
BUILD := $(SRC)/build
SELFTESTS := $(SRC)/tools/testing/selftests/kvmm
HOSTS := $(SRC)/tools/testing/kvmm-hosts

.PHONY: all modules clean sparse selftests deps run check bench help print-kdir

all: modules

modules:
	@test -n "$(KDIR)" -a -d "$(KDIR)" || \
		{ echo "no kernel headers found: make deps, or set KDIR=" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(SRC) modules

# sparse checks every file it compiles; C=2 forces all of them.  Any line
# it prints about our sources fails the target.
sparse:
	@test -n "$(KDIR)" -a -d "$(KDIR)" || \
		{ echo "no kernel headers found: make deps, or set KDIR=" >&2; exit 1; }
	@command -v sparse >/dev/null || { echo "sparse missing: make deps" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(SRC) C=2 modules 2>&1 | tee $(BUILD).sparse.log
	@! grep -E '^$(SRC)/.*: (warning|error):' $(BUILD).sparse.log || \
		{ echo "sparse reported problems" >&2; exit 1; }
	@rm -f $(BUILD).sparse.log

selftests:
	$(MAKE) -C $(SELFTESTS) OUTPUT=$(BUILD)/selftests

deps:
	$(SRC)/scripts/install-deps.sh

run:
	KDIR='$(KDIR_GIVEN)' $(HOSTS)/check.sh --run $(if $(REF),--ref) $(or $(CONFIGS),svm)

check:
	KDIR='$(KDIR_GIVEN)' $(HOSTS)/check.sh $(if $(REF),--ref) $(CONFIGS)

bench:
	KDIR='$(KDIR_GIVEN)' $(HOSTS)/check.sh --bench $(or $(CONFIGS),svm)

clean:
	-$(if $(KDIR),$(MAKE) -C $(KDIR) M=$(SRC) clean)
	-$(MAKE) -C $(SELFTESTS) OUTPUT=$(BUILD)/selftests clean
	rm -rf $(BUILD)

print-kdir:
	@echo $(KDIR)

help:
	@sed -n '3,15p' $(SRC)/Makefile | sed 's/^# \{0,1\}//'
