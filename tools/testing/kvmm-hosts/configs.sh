# SPDX-License-Identifier: GPL-2.0
#
# The emulated test-host configurations (sourced by check.sh).
# See Documentation/testing.rst for why each exists.
#
#   svm        QEMU TCG -cpu max: AMD SVM with NPT
#   svm-nonpt  QEMU TCG -cpu max,-npt: AMD SVM without NPT
#   vmx        Bochs corei7_skylake_x: Intel VMX with EPT and unrestricted guest
#   vmx-noept  Bochs VMX model without EPT or unrestricted guest
#   nosvm      QEMU TCG -cpu qemu64,-svm: no virtualization (refusal path)

KVMM_ALL_CONFIGS="svm svm-nonpt vmx vmx-noept nosvm"

# Sets: EMU (qemu|bochs), CPU, VENDOR (amd|intel|none), TIMEOUT (seconds).
kvmm_config() {
	case "$1" in
	svm)       EMU=qemu;  CPU=max;            VENDOR=amd ;;
	svm-nonpt) EMU=qemu;  CPU=max,-npt;       VENDOR=amd ;;
	nosvm)     EMU=qemu;  CPU=qemu64,-svm;    VENDOR=amd ;;
	vmx)       EMU=bochs; CPU=corei7_skylake_x; VENDOR=intel ;;
	vmx-noept) EMU=bochs; CPU=${KVMM_NOEPT_CPU:-core2_penryn_t9600}; VENDOR=intel ;;
	*) echo "unknown configuration: $1 (known: $KVMM_ALL_CONFIGS)" >&2
	   return 1 ;;
	esac
	if [ "$EMU" = bochs ]; then
		TIMEOUT=${KVMM_BOCHS_TIMEOUT:-1500}
	else
		# The svm host's whole suite with the QEMU and kvmtool
		# scenarios took 400 s on this machine at one time and hit
		# 600 s at another (2026-12-02, the machine slower by half).
		TIMEOUT=${KVMM_QEMU_TIMEOUT:-1200}
	fi
}

# Reference modules, in load order, relative to /lib/modules/<kver>/kernel.
kvmm_ref_modules() {
	case "$1" in
	amd)   echo "virt/lib/irqbypass.ko drivers/crypto/ccp/ccp.ko arch/x86/kvm/kvm.ko arch/x86/kvm/kvm-amd.ko" ;;
	intel) echo "virt/lib/irqbypass.ko arch/x86/kvm/kvm.ko arch/x86/kvm/kvm-intel.ko" ;;
	esac
}

kvmm_ref_unload() {
	case "$1" in
	amd)   echo "kvm_amd kvm" ;;
	intel) echo "kvm_intel kvm" ;;
	esac
}
