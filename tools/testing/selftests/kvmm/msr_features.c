// SPDX-License-Identifier: GPL-2.0
/*
 * msr_features: feature MSRs, on /dev/kvm and on a vCPU.
 *
 * api.rst 4.3 (KVM_GET_MSR_FEATURE_INDEX_LIST) and 4.18 (KVM_GET_MSRS on
 * the system fd), as Linux 6.1 implements them (x86.c,
 * kvm_arch_dev_ioctl(), msr_io(), do_get_msr_feature()):
 *  - the list ioctl writes the needed count back and fails with E2BIG
 *    when nmsrs is smaller;
 *  - the system KVM_GET_MSRS reads entries in order and stops at the
 *    first index that is no feature MSR (an ordinary MSR such as EFER
 *    included), returning the number read; that entry's data is zeroed,
 *    later entries are left alone; 256 entries or more is E2BIG;
 *  - unreadable arguments (header or entries) are EFAULT.
 * The value a feature MSR offers must be usable on a vCPU: KVM_SET_MSRS
 * accepts it and KVM_GET_MSRS returns it.  Per MSR (x86.c
 * kvm_get/set_msr_common(), svm.c for DE_CFG):
 *  - IA32_ARCH_CAPABILITIES: a vCPU starts with the offered value; the
 *    guest reads it when its CPUID has 7.0:EDX[29] (which
 *    KVM_GET_SUPPORTED_CPUID must then offer) and gets #GP without it;
 *    guest writes #GP;
 *  - IA32_UCODE_REV: userspace sets it, the guest reads it, the guest's
 *    writes are ignored (no #GP);
 *  - IA32_PERF_CAPABILITIES: userspace may set only offered bits; the
 *    guest gets #GP without PDCM in its CPUID;
 *  - DE_CFG (AMD, when listed): the guest reads the vCPU's value and may
 *    write only the offered value.
 * Gated on KVM_CAP_GET_MSR_FEATURES.
 */
#include <sys/mman.h>

#include "msr_access.h"

#define MSR_EFER			0xc0000080
#define MSR_IA32_UCODE_REV		0x0000008b
#define MSR_IA32_ARCH_CAPABILITIES	0x0000010a
#define MSR_IA32_PERF_CAPABILITIES	0x00000345
#define MSR_AMD64_DE_CFG		0xc0011029
/* No CPU or hypervisor gives this one a meaning. */
#define MSR_UNKNOWN			0xdeadbeef

#define CPUID_ARCH_CAPABILITIES		(1u << 29)	/* 7.0:EDX */
#define CPUID_PDCM			(1u << 15)	/* 1:ECX */

enum { EAX, EBX, ECX, EDX };

/*
 * A VM whose vCPU runs guest_msr_ops() with the supported CPUID, less
 * the bits @clear of register @reg of leaf @leaf (subleaf 0).
 */
static struct kvm_vm *new_vm(struct kvm_vcpu **vcpu, uint32_t leaf,
			     int reg, uint32_t clear)
{
	struct kvm_vm *vm = vm_create_with_one_vcpu(vcpu, guest_msr_ops);

	vm_install_msr_gp_handler(vm);
	if (clear) {
		struct kvm_cpuid2 *c = kvm_supported_cpuid_copy();
		struct kvm_cpuid_entry2 *e = cpuid_find_entry(c, leaf, 0);

		if (e) {
			uint32_t *r = reg == EAX ? &e->eax : reg == EBX ? &e->ebx :
				      reg == ECX ? &e->ecx : &e->edx;

			*r &= ~clear;
		}
		vcpu_set_cpuid(*vcpu, c);
		free(c);
	}
	return vm;
}

static struct kvm_msr_list *features;

static bool listed(uint32_t index)
{
	uint32_t i;

	for (i = 0; i < features->nmsrs; i++)
		if (features->indices[i] == index)
			return true;
	return false;
}

/* The system value of feature MSR @index (asserts it reads). */
static uint64_t feature_value(int kvm_fd, uint32_t index)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1, .e.index = index };

	TEST_ASSERT_EQ(__kvm_ioctl(kvm_fd, KVM_GET_MSRS, &m), 1);
	return m.e.data;
}

static void test_list(int fd)
{
	struct kvm_msr_list probe = { .nmsrs = 0 }, *small;
	uint32_t i, j;
	bool ok;
	int r;

	r = __kvm_ioctl(fd, KVM_GET_MSR_FEATURE_INDEX_LIST, &probe);
	ok = r == -1 && errno == E2BIG && probe.nmsrs > 0;
	if (!ok)
		pr_info("nmsrs 0: returned %d (%s), nmsrs %u", r,
			errno_name(r ? errno : 0), probe.nmsrs);
	if (ok && probe.nmsrs > 1) {
		small = calloc(1, sizeof(*small) + probe.nmsrs * sizeof(__u32));
		TEST_ASSERT(small, "out of memory");
		small->nmsrs = probe.nmsrs - 1;
		r = __kvm_ioctl(fd, KVM_GET_MSR_FEATURE_INDEX_LIST, small);
		ok = r == -1 && errno == E2BIG && small->nmsrs == probe.nmsrs;
		free(small);
	}
	ksft_test_result(ok, "feature_list_e2big");

	features = calloc(1, sizeof(*features) + probe.nmsrs * sizeof(__u32));
	TEST_ASSERT(features, "out of memory");
	features->nmsrs = probe.nmsrs;
	r = __kvm_ioctl(fd, KVM_GET_MSR_FEATURE_INDEX_LIST, features);
	ok = r == 0 && features->nmsrs == probe.nmsrs;
	for (i = 0; ok && i < features->nmsrs; i++)
		for (j = i + 1; j < features->nmsrs; j++)
			if (features->indices[i] == features->indices[j]) {
				pr_info("%#x listed twice", features->indices[i]);
				ok = false;
			}
	TEST_ASSERT(r == 0, "KVM_GET_MSR_FEATURE_INDEX_LIST: %s",
		    errno_name(errno));
	pr_info("%s: %u feature MSRs", test_mode_name(), features->nmsrs);
	ksft_test_result(ok, "feature_list");
}

static void test_system_get_msrs(int fd)
{
	uint32_t n = features->nmsrs, i;
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[256];
	} *m = calloc(1, sizeof(*m));
	bool ok;
	int r;

	TEST_ASSERT(m, "out of memory");
	m->hdr.nmsrs = n;
	for (i = 0; i < n; i++)
		m->e[i].index = features->indices[i];
	r = __kvm_ioctl(fd, KVM_GET_MSRS, m);
	for (i = 0; i < n; i++)
		pr_info("feature MSR %#x = %#llx", m->e[i].index,
			(unsigned long long)m->e[i].data);
	ksft_test_result(r == (int)n, "system_get_msrs_all_listed");

	/* [listed, unknown, listed]: one read, the unknown one zeroed. */
	memset(m, 0, sizeof(*m));
	m->hdr.nmsrs = 3;
	m->e[0].index = features->indices[0];
	m->e[1].index = MSR_UNKNOWN;
	m->e[2].index = features->indices[n - 1];
	m->e[1].data = 0x1234;
	m->e[2].data = 0x5678;
	r = __kvm_ioctl(fd, KVM_GET_MSRS, m);
	ok = r == 1 && m->e[1].data == 0 && m->e[2].data == 0x5678;
	if (!ok)
		pr_info("unknown index: returned %d, data %#llx %#llx", r,
			(unsigned long long)m->e[1].data,
			(unsigned long long)m->e[2].data);
	/* A vCPU MSR that is no feature MSR stops the system read too. */
	m->hdr.nmsrs = 2;
	m->e[1].index = MSR_EFER;
	r = __kvm_ioctl(fd, KVM_GET_MSRS, m);
	if (r != 1)
		pr_info("EFER on /dev/kvm: returned %d", r);
	ok = ok && r == 1;
	/* Nothing at all: 0. */
	m->hdr.nmsrs = 0;
	ok = ok && __kvm_ioctl(fd, KVM_GET_MSRS, m) == 0;
	ksft_test_result(ok, "system_get_msrs_stops_at_unknown");

	m->hdr.nmsrs = 256;
	r = __kvm_ioctl(fd, KVM_GET_MSRS, m);
	ksft_test_result(r == -1 && errno == E2BIG, "system_get_msrs_e2big");
	free(m);
}

/* Unreadable arguments are EFAULT, the entries included. */
static void test_bad_pointers(int fd)
{
	uint8_t *p = mmap(NULL, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct kvm_msrs *msrs;
	bool ok;

	TEST_ASSERT(p != MAP_FAILED, "mmap failed");
	TEST_ASSERT(!mprotect(p + PAGE_SIZE, PAGE_SIZE, PROT_NONE),
		    "mprotect failed");
	/* The header ends where the PROT_NONE page begins. */
	msrs = (void *)(p + PAGE_SIZE - sizeof(*msrs));
	msrs->nmsrs = 1;
	ok = __kvm_ioctl(fd, KVM_GET_MSR_FEATURE_INDEX_LIST, 8) == -1 &&
	     errno == EFAULT;
	ok = ok && __kvm_ioctl(fd, KVM_GET_MSRS, 8) == -1 && errno == EFAULT;
	ok = ok && __kvm_ioctl(fd, KVM_GET_MSRS, msrs) == -1 &&
	     errno == EFAULT;
	munmap(p, 2 * PAGE_SIZE);
	ksft_test_result(ok, "system_ioctls_bad_pointers_efault");
}

/* Every offered value is accepted by a vCPU and read back unchanged. */
static void test_values_on_vcpu(int fd)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = new_vm(&vcpu, 0, EAX, 0);
	uint64_t v, back;
	uint32_t i;
	bool ok = true;

	if (listed(MSR_IA32_ARCH_CAPABILITIES)) {
		v = feature_value(fd, MSR_IA32_ARCH_CAPABILITIES);
		if (__vcpu_get_msr(vcpu, MSR_IA32_ARCH_CAPABILITIES, &back) != 1 ||
		    back != v) {
			pr_info("new vCPU's ARCH_CAPABILITIES %#llx, offered %#llx",
				(unsigned long long)back, (unsigned long long)v);
			ok = false;
		}
	}
	for (i = 0; i < features->nmsrs; i++) {
		uint32_t index = features->indices[i];

		/*
		 * Nested VMX's capability MSRs (IA32_VMX_BASIC ..
		 * IA32_VMX_VMFUNC, SDM 3D appendix A) are per vCPU in KVM,
		 * cut down to what the vCPU's own CPUID allows, and a write
		 * may only remove from them: the system-wide offer is not a
		 * vCPU's value.  kvmm offers no nested virtualization.
		 */
		if (index >= 0x480 && index <= 0x491)
			continue;
		v = feature_value(fd, index);
		if (__vcpu_set_msr(vcpu, index, v) != 1 ||
		    __vcpu_get_msr(vcpu, index, &back) != 1 || back != v) {
			pr_info("MSR %#x: offered %#llx, vCPU has %#llx", index,
				(unsigned long long)v, (unsigned long long)back);
			ok = false;
		}
	}
	kvm_vm_free(vm);
	ksft_test_result(ok, "offered_values_accepted_by_vcpu");
}

static void test_arch_capabilities(int fd)
{
	const struct kvm_cpuid_entry2 *e;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	uint64_t v, got;
	bool ok;

	if (!listed(MSR_IA32_ARCH_CAPABILITIES)) {
		ksft_test_result_skip("arch_capabilities_guest",
				      "IA32_ARCH_CAPABILITIES not listed");
		return;
	}
	e = cpuid_find_entry(kvm_get_supported_cpuid(), 7, 0);
	ok = e && (e->edx & CPUID_ARCH_CAPABILITIES);
	if (!ok)
		pr_info("listed, but KVM_GET_SUPPORTED_CPUID has no 7.0:EDX[29]");
	v = feature_value(fd, MSR_IA32_ARCH_CAPABILITIES);

	vm = new_vm(&vcpu, 0, EAX, 0);
	ok = ok && __vcpu_set_msr(vcpu, MSR_IA32_ARCH_CAPABILITIES, v) == 1;
	ok = ok && !guest_msr(vcpu, MSR_IA32_ARCH_CAPABILITIES, false, 0, &got);
	if (ok && got != v)
		pr_info("guest read %#llx, set %#llx", (unsigned long long)got,
			(unsigned long long)v);
	ok = ok && got == v;
	ok = ok && guest_msr(vcpu, MSR_IA32_ARCH_CAPABILITIES, true, v, NULL);
	kvm_vm_free(vm);

	/* Without the CPUID bit: #GP for the guest, userspace still reads. */
	vm = new_vm(&vcpu, 7, EDX, CPUID_ARCH_CAPABILITIES);
	ok = ok && guest_msr(vcpu, MSR_IA32_ARCH_CAPABILITIES, false, 0, NULL);
	ok = ok && __vcpu_get_msr(vcpu, MSR_IA32_ARCH_CAPABILITIES, &got) == 1;
	kvm_vm_free(vm);
	ksft_test_result(ok, "arch_capabilities_guest");
}

static void test_ucode_rev(void)
{
	const uint64_t rev = 0x1234500000000ull;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	uint64_t got = 0;
	bool ok;

	if (!listed(MSR_IA32_UCODE_REV)) {
		ksft_test_result_skip("ucode_rev", "IA32_UCODE_REV not listed");
		return;
	}
	vm = new_vm(&vcpu, 0, EAX, 0);
	ok = __vcpu_set_msr(vcpu, MSR_IA32_UCODE_REV, rev) == 1;
	ok = ok && !guest_msr(vcpu, MSR_IA32_UCODE_REV, false, 0, &got) &&
	     got == rev;
	/* A guest's microcode load writes 0 first: ignored, no #GP. */
	ok = ok && !guest_msr(vcpu, MSR_IA32_UCODE_REV, true, 0, NULL);
	ok = ok && __vcpu_get_msr(vcpu, MSR_IA32_UCODE_REV, &got) == 1 &&
	     got == rev;
	if (!ok)
		pr_info("UCODE_REV: last read %#llx", (unsigned long long)got);
	kvm_vm_free(vm);
	ksft_test_result(ok, "ucode_rev");
}

static void test_perf_capabilities(int fd)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	uint64_t v, bad;
	bool ok;

	if (!listed(MSR_IA32_PERF_CAPABILITIES)) {
		ksft_test_result_skip("perf_capabilities",
				      "IA32_PERF_CAPABILITIES not listed");
		return;
	}
	v = feature_value(fd, MSR_IA32_PERF_CAPABILITIES);
	/* The lowest bit not offered is refused. */
	bad = ~v & -~v;
	vm = new_vm(&vcpu, 1, ECX, CPUID_PDCM);
	ok = __vcpu_set_msr(vcpu, MSR_IA32_PERF_CAPABILITIES, v) == 1;
	ok = ok && __vcpu_set_msr(vcpu, MSR_IA32_PERF_CAPABILITIES, v | bad) == 0;
	ok = ok && guest_msr(vcpu, MSR_IA32_PERF_CAPABILITIES, false, 0, NULL);
	ok = ok && guest_msr(vcpu, MSR_IA32_PERF_CAPABILITIES, true, v, NULL);
	kvm_vm_free(vm);
	ksft_test_result(ok, "perf_capabilities");
}

static void test_de_cfg(int fd)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	uint64_t v, got = 0, bad;
	bool ok;

	if (!listed(MSR_AMD64_DE_CFG)) {
		ksft_test_result_skip("de_cfg", "DE_CFG not listed");
		return;
	}
	v = feature_value(fd, MSR_AMD64_DE_CFG);
	bad = ~v & -~v;
	vm = new_vm(&vcpu, 0, EAX, 0);
	ok = __vcpu_set_msr(vcpu, MSR_AMD64_DE_CFG, v | bad) == 0;
	ok = ok && __vcpu_set_msr(vcpu, MSR_AMD64_DE_CFG, v) == 1;
	ok = ok && !guest_msr(vcpu, MSR_AMD64_DE_CFG, false, 0, &got) &&
	     got == v;
	ok = ok && !guest_msr(vcpu, MSR_AMD64_DE_CFG, true, v, NULL);
	ok = ok && guest_msr(vcpu, MSR_AMD64_DE_CFG, true, v | bad, NULL);
	if (!ok)
		pr_info("DE_CFG: offered %#llx, guest read %#llx",
			(unsigned long long)v, (unsigned long long)got);
	kvm_vm_free(vm);
	ksft_test_result(ok, "de_cfg");
}

int main(void)
{
	int fd;

	ksft_print_header();
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_USER_MEMORY));
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_GET_MSR_FEATURES));
	fd = open_kvm_dev_path_or_exit();

	ksft_set_plan(11);
	test_list(fd);
	test_system_get_msrs(fd);
	test_bad_pointers(fd);
	test_values_on_vcpu(fd);
	test_arch_capabilities(fd);
	test_ucode_rev();
	test_perf_capabilities(fd);
	test_de_cfg(fd);
	free(features);
	close(fd);
	ksft_finished();
}
