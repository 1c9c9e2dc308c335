// SPDX-License-Identifier: GPL-2.0
/*
 * gpa_bounds: guest-physical addresses beyond what the second-level table
 * can map (Documentation/mmu.rst, "Guest-physical reach").
 *
 * The limit is 2^L bytes of guest-physical address space, with L:
 *  - kvmm: the least of the host's MAXPHYADDR (CPUID Fn8000_0008
 *    EAX[7:0]), what its nested table indexes (48 bits with four levels,
 *    57 with five, i.e. whether the host kernel runs with LA57) and
 *    GuestPhysAddrSize (EAX[23:16]) when the CPU gives it;
 *  - Linux KVM 6.1 with NPT/EPT: the host's MAXPHYADDR
 *    (kvm_mmu_max_gfn()); 52 with shadow paging, where the guest is
 *    still told (and its page tables still limited to) the host's
 *    MAXPHYADDR, so what the guest can reach is the lesser of the two.
 * They differ only on a host with more than 48 physical address bits
 * running without LA57, where KVM would accept slots its 4-level table
 * indexes modulo 2^48.
 *
 * Checked here:
 *  - KVM_GET_SUPPORTED_CPUID's 0x80000008 EAX[7:0] is the guest's
 *    reach, min(L, host MAXPHYADDR) (L itself on kvmm): every address
 *    the guest is told it may use can be a slot;
 *  - KVM_SET_USER_MEMORY_REGION: a slot ending at 2^L works; one crossing
 *    2^L, at 2^L, at 2^48 or ending at 2^52 gets EINVAL unless it ends
 *    within 2^L; so does moving a slot there; an overlap is EEXIST even
 *    when the slot would also cross the limit (KVM checks it first);
 *  - the guest reads and writes a slot ending at its reach through a
 *    2-MiB page of its own tables; where the reach is below the host's
 *    MAXPHYADDR (so the guest can form the address), a read there exits
 *    as KVM_EXIT_MMIO;
 *  - a guest CPUID with a wider MAXPHYADDR (52) is accepted and shown to
 *    the guest as set, as KVM does; slots stay bounded by L.
 */
#include <sys/mman.h>

#include "processor.h"
#include "host_util.h"
#include "kvmm_env.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE	0x100000
#endif

#define SLOT		1
#define SLOT2		2
#define SLOT_SIZE	(2ull << 20)
#define LOW_GPA		0x80000000ull
/* Guest virtual 2-MiB pages remapped to high guest-physical addresses. */
#define HIGH_GVA	0xc0000000ull
#define BEYOND_GVA	(HIGH_GVA + SLOT_SIZE)
#define HOST_MARK	0x686f73742d6d656dull
#define GUEST_MARK	0x6775657374777274ull
#define MMIO_MARK	0x6d6d696f2d726561ull

#define NR_TESTS	8

static void *host_mem;
static unsigned int limit_bits;		/* slots end within 2^limit_bits */
static unsigned int reach_bits;		/* the guest's MAXPHYADDR */
static unsigned int host_phys_bits;

/* ---- the limit ---- */

static unsigned int host_cpuid_8000_0008(unsigned int *guest_bits)
{
	uint32_t eax, ebx, ecx, edx;

	cpuid_count(0x80000000, 0, &eax, &ebx, &ecx, &edx);
	if (eax < 0x80000008) {
		*guest_bits = 0;
		return 36;	/* the architectural default */
	}
	cpuid_count(0x80000008, 0, &eax, &ebx, &ecx, &edx);
	*guest_bits = (eax >> 16) & 0xff;
	return eax & 0xff;
}

/*
 * Does the host kernel run with 5-level paging?  Only then may a process
 * map above 2^47 (the kernel's own address space follows CR4.LA57, and
 * kvmm's nested table follows the kernel's).
 */
static bool host_la57(void)
{
	void *hint = (void *)(1ul << 50);
	void *p = mmap(hint, PAGE_SIZE, PROT_READ,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	if (p == MAP_FAILED)
		return false;
	munmap(p, PAGE_SIZE);
	return p == hint;
}

static bool ref_uses_shadow_paging(void)
{
	static const char *const params[] = {
		"/sys/module/kvm_amd/parameters/npt",
		"/sys/module/kvm_intel/parameters/ept",
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(params); i++) {
		char *s;
		bool off;

		if (read_file_str(params[i], &s) < 0)
			continue;
		off = s[0] == 'N' || s[0] == '0';
		free(s);
		if (off)
			return true;
	}
	return false;
}

static unsigned int compute_limit_bits(void)
{
	unsigned int guest_bits, table_bits = host_la57() ? 57 : 48;
	enum test_mode mode = test_mode();
	unsigned int bits;

	host_phys_bits = host_cpuid_8000_0008(&guest_bits);
	if (mode == TEST_MODE_UNSET)
		mode = module_is_loaded(KVMM_MODULE_NAME) ? TEST_MODE_KVMM :
							    TEST_MODE_REF;
	pr_info("host: MAXPHYADDR %u, GuestPhysAddrSize %u, %u-level paging",
		host_phys_bits, guest_bits, table_bits == 57 ? 5 : 4);
	if (mode == TEST_MODE_REF)
		return ref_uses_shadow_paging() ? 52 : host_phys_bits;
	bits = host_phys_bits < table_bits ? host_phys_bits : table_bits;
	if (guest_bits && guest_bits < bits)
		bits = guest_bits;
	return bits;
}

/* ---- slots ---- */

static int set_region(struct kvm_vm *vm, uint32_t slot, uint64_t gpa,
		      uint64_t size)
{
	return __vm_set_user_memory_region(vm, slot, 0, gpa, size, host_mem);
}

/* Expect @ret from creating/moving a slot at @gpa: 0, or -1 with @err. */
static bool expect(int ret, int err, uint64_t gpa, const char *what)
{
	if ((!err && !ret) || (err && ret == -1 && errno == err))
		return true;
	pr_info("%s at GPA %#llx: rc %d errno %s, expected %s", what,
		(unsigned long long)gpa, ret, ret ? errno_name(errno) : "-",
		err ? errno_name(err) : "success");
	return false;
}

/* Whether a SLOT_SIZE slot at @gpa ends within the limit. */
static bool within(uint64_t gpa)
{
	return limit_bits >= 64 || gpa + SLOT_SIZE <= (1ull << limit_bits);
}

static void test_supported_cpuid(void)
{
	const struct kvm_cpuid_entry2 *e =
		cpuid_find_entry(kvm_get_supported_cpuid(), 0x80000008, 0);
	unsigned int bits;

	if (!e) {
		ksft_test_result_skip("supported_cpuid_maxphyaddr_is_reach",
				      "no leaf 0x80000008 offered");
		return;
	}
	bits = e->eax & 0xff;
	pr_info("KVM_GET_SUPPORTED_CPUID 0x80000008: MAXPHYADDR %u, slot limit %u, expected %u",
		bits, limit_bits, reach_bits);
	ksft_test_result(bits == reach_bits,
			 "supported_cpuid_maxphyaddr_is_reach");
}

static void test_slots(void)
{
	struct kvm_vm *vm = vm_create_barebones();
	uint64_t limit = 1ull << limit_bits;
	static const uint64_t far[] = {
		1ull << 48, (1ull << 52) - SLOT_SIZE, 1ull << 52,
	};
	uint64_t gpa;
	unsigned int i;
	bool ok;

	gpa = limit - SLOT_SIZE;
	ok = expect(set_region(vm, SLOT, gpa, SLOT_SIZE), 0, gpa,
		    "slot ending at the limit");
	ok &= expect(set_region(vm, SLOT, gpa, 0), 0, gpa, "delete");
	ksft_test_result(ok, "slot_ending_at_limit_ok");

	ok = true;
	gpa = limit - SLOT_SIZE / 2;
	ok &= expect(set_region(vm, SLOT, gpa, SLOT_SIZE), EINVAL, gpa,
		     "slot crossing the limit");
	ok &= expect(set_region(vm, SLOT, limit, SLOT_SIZE), EINVAL, limit,
		     "slot at the limit");
	for (i = 0; i < ARRAY_SIZE(far); i++) {
		int r = set_region(vm, SLOT, far[i], SLOT_SIZE);

		ok &= expect(r, within(far[i]) ? 0 : EINVAL, far[i],
			     "slot far up");
		if (!r)
			set_region(vm, SLOT, far[i], 0);
	}
	ksft_test_result(ok, "slots_beyond_limit_einval");

	/* A move is checked as a creation is; a failed one changes nothing. */
	ok = expect(set_region(vm, SLOT, LOW_GPA, SLOT_SIZE), 0, LOW_GPA,
		    "slot low");
	ok &= expect(set_region(vm, SLOT, limit, SLOT_SIZE), EINVAL, limit,
		     "move to the limit");
	ok &= expect(set_region(vm, SLOT2, LOW_GPA, SLOT_SIZE), EEXIST,
		     LOW_GPA, "another slot where the failed move left one");
	gpa = limit - SLOT_SIZE;
	ok &= expect(set_region(vm, SLOT, gpa, SLOT_SIZE), 0, gpa,
		     "move to end at the limit");
	ksft_test_result(ok, "move_beyond_limit_einval");

	/* SLOT ends at the limit; SLOT2 would overlap it and cross it. */
	gpa = limit - SLOT_SIZE / 2;
	ok = expect(set_region(vm, SLOT2, gpa, SLOT_SIZE), EEXIST, gpa,
		    "slot overlapping one and crossing the limit");
	ksft_test_result(ok, "overlap_reported_before_limit");
	kvm_vm_free(vm);
}

/* ---- the guest's view ---- */

static void guest_high(uint64_t beyond)
{
	volatile uint64_t *p = (volatile uint64_t *)HIGH_GVA;

	GUEST_SYNC_ARGS(1, p[0], 0, 0, 0);
	p[1] = GUEST_MARK;
	GUEST_SYNC(2);
	if (beyond)
		GUEST_SYNC_ARGS(3, *(volatile uint64_t *)BEYOND_GVA, 0, 0, 0);
	GUEST_DONE();
}

/* Point the guest's 2-MiB page at @gva (in the low 4 GiB) to @gpa. */
static void guest_map_2m(struct kvm_vm *vm, uint64_t gva, uint64_t gpa)
{
	uint64_t *pml4 = addr_gpa2hva(vm, vm->pml4);
	uint64_t *pdpt = addr_gpa2hva(vm, pml4[0] & PTE_ADDR_MASK);
	uint64_t *pd = addr_gpa2hva(vm, pdpt[(gva >> 30) & 511] & PTE_ADDR_MASK);

	pd[(gva >> 21) & 511] = gpa | PTE_PRESENT | PTE_WRITABLE | PTE_LARGE;
}

static void test_guest_access(void)
{
	uint64_t limit = 1ull << reach_bits, gpa = limit - SLOT_SIZE;
	/* The guest can form 2^reach only when the CPU's width is larger. */
	bool beyond = reach_bits < host_phys_bits;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_high);
	struct kvm_run *run = vcpu->run;
	struct ucall uc;
	bool ok;

	((uint64_t *)host_mem)[0] = HOST_MARK;
	((uint64_t *)host_mem)[1] = 0;
	vm_set_user_memory_region(vm, SLOT, 0, gpa, SLOT_SIZE, host_mem);
	guest_map_2m(vm, HIGH_GVA, gpa);
	if (beyond)
		guest_map_2m(vm, BEYOND_GVA, limit);
	vcpu_args_set(vcpu, 1, (uint64_t)beyond);

	uc = vcpu_run_expect_sync(vcpu, 1);
	ok = uc.args[1] == HOST_MARK;
	vcpu_run_expect_sync(vcpu, 2);
	ok &= ((uint64_t *)host_mem)[1] == GUEST_MARK;
	if (!ok)
		pr_info("slot at %#llx: guest read %#llx, host reads %#llx",
			(unsigned long long)gpa, (unsigned long long)uc.args[1],
			(unsigned long long)((uint64_t *)host_mem)[1]);
	ksft_test_result(ok, "guest_uses_slot_ending_at_limit");

	if (!beyond) {
		ksft_test_result_skip("guest_read_at_limit_is_mmio",
				      "the reach is the host's MAXPHYADDR: the guest cannot form 2^%u",
				      reach_bits);
		kvm_vm_free(vm);
		return;
	}
	vcpu_run(vcpu);
	ok = run->exit_reason == KVM_EXIT_MMIO && !run->mmio.is_write &&
	     run->mmio.phys_addr == limit;
	if (!ok) {
		pr_info("read at %#llx: exit %s, mmio addr %#llx",
			(unsigned long long)limit,
			exit_reason_str(run->exit_reason),
			(unsigned long long)run->mmio.phys_addr);
	} else {
		memcpy(run->mmio.data, &(uint64_t){ MMIO_MARK }, 8);
		uc = vcpu_run_expect_sync(vcpu, 3);
		ok = uc.args[1] == MMIO_MARK;
		vcpu_run_expect_done(vcpu);
	}
	ksft_test_result(ok, "guest_read_at_limit_is_mmio");
	kvm_vm_free(vm);
}

static void guest_cpuid(void)
{
	uint32_t eax, ebx, ecx, edx;

	cpuid_count(0x80000008, 0, &eax, &ebx, &ecx, &edx);
	GUEST_SYNC_ARGS(1, eax & 0xff, 0, 0, 0);
	GUEST_DONE();
}

/*
 * KVM takes a guest MAXPHYADDR wider than it offers as set; the slots
 * stay bounded all the same.
 */
static void test_wide_guest_cpuid(void)
{
	struct kvm_cpuid2 *cpuid = kvm_supported_cpuid_copy();
	struct kvm_cpuid_entry2 *e = cpuid_find_entry(cpuid, 0x80000008, 0);
	uint64_t limit = 1ull << limit_bits;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	bool ok;

	if (!e) {
		free(cpuid);
		ksft_test_result_skip("wide_guest_maxphyaddr_honoured_slots_bounded",
				      "no leaf 0x80000008 offered");
		return;
	}
	e->eax = (e->eax & ~0xffu) | 52;
	vm = vm_create_with_one_vcpu(&vcpu, guest_cpuid);
	vcpu_set_cpuid(vcpu, cpuid);
	uc = vcpu_run_expect_sync(vcpu, 1);
	ok = uc.args[1] == 52;
	if (!ok)
		pr_info("the guest sees MAXPHYADDR %llu, set 52",
			(unsigned long long)uc.args[1]);
	vcpu_run_expect_done(vcpu);
	if (limit_bits < 52)
		ok &= expect(set_region(vm, SLOT, limit, SLOT_SIZE), EINVAL,
			     limit, "slot at the limit, guest MAXPHYADDR 52");
	ksft_test_result(ok, "wide_guest_maxphyaddr_honoured_slots_bounded");
	kvm_vm_free(vm);
	free(cpuid);
}

int main(void)
{
	ksft_print_header();
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_USER_MEMORY));
	host_mem = mmap(NULL, SLOT_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(host_mem != MAP_FAILED, "mmap failed");
	limit_bits = compute_limit_bits();
	reach_bits = limit_bits < host_phys_bits ? limit_bits : host_phys_bits;
	pr_info("expected limit: 2^%u bytes of guest-physical address space, guest reach 2^%u",
		limit_bits, reach_bits);

	ksft_set_plan(NR_TESTS);
	test_supported_cpuid();
	test_slots();
	test_guest_access();
	test_wide_guest_cpuid();
	ksft_finished();
}
