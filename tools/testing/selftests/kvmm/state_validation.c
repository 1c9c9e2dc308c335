// SPDX-License-Identifier: GPL-2.0
/*
 * state_validation: vCPU state the CPU would refuse never reaches it.
 *
 *  - The state a fuzzer found (../shared/repro/sregs-hang: real mode with
 *    CR0 = 0x55000090, reserved EFER bits with LME, an APIC base above
 *    the guest's MAXPHYADDR) hung a host CPU on kvmm.  KVM_SET_SREGS
 *    refuses it with EINVAL, as Linux 6.1 does (its APIC base).
 *  - KVM_SET_SREGS refuses, with EINVAL and the state left as it was,
 *    what Linux 6.1 refuses (x86.c kvm_is_valid_sregs(),
 *    kvm_set_apic_base()): CR0 bits 63:32, NW without CD, PG without PE,
 *    reserved CR4 bits, long mode without PAE or LMA, LMA or CS.L
 *    outside long mode, CR3 above MAXPHYADDR in long mode, APIC base
 *    reserved bits or x2APIC without xAPIC enabled.
 *  - State KVM accepts but the CPU's entry checks refuse (APM vol. 2
 *    15.5.1, SDM 3C 27.3.1): reserved EFER bits, CS.L and CS.D in long
 *    mode, a CS base above 4 GiB, reserved RFLAGS bits, and the fuzzer's
 *    state with a valid APIC base.  KVM_RUN returns KVM_EXIT_FAIL_ENTRY (on SVM with
 *    VMEXIT_INVALID, -1, as the CPU reports it) and never hangs; the
 *    vCPU runs again once userspace gives it a valid state.
 *  - EFER, PAT and APIC_BASE through KVM_SET_MSRS (refused: the batch
 *    stops) and through a guest WRMSR (#GP): EFER bit 20, PAT memory
 *    types 2 and 3 (SDM 3A 12.12.2), APIC base bit 0.
 *  - kvmm only, white-box: a vCPU flushes its TLB whenever it enters on
 *    a CPU other than the one it entered on last, and when second-level
 *    mappings went away (Documentation/mmu.rst): the per-vCPU counters
 *    in debugfs (vcpu0/tlb_flush_cpu, tlb_flush_mmu, tlb_flushes).  QEMU's
 *    TCG flushes on every world switch, so no guest can see a missing
 *    flush there.
 */
#include <sched.h>
#include <sys/mman.h>

#include "host_util.h"
#include "kvmm_env.h"
#include "msr_access.h"

#define MSR_EFER		0xc0000080
#define MSR_IA32_CR_PAT		0x00000277
#define MSR_IA32_APICBASE	0x0000001b

#define CR0_PE			(1ull << 0)
#define CR0_NW			(1ull << 29)
#define CR0_CD			(1ull << 30)
#define CR0_PG			(1ull << 31)
#define CR4_PAE			(1ull << 5)
#define RFLAGS_FIXED		(1ull << 1)

/* The kvm_sregs of ../shared/repro/sregs-hang/state.txt, byte for byte. */
static const char fuzz_sregs_hex[] =
	"d5b2000000005e26b600000000000000000000007a0000c40000000000820000"
	"00000000000000000800000000000000a000000000000021000000f300000000"
	"0000d1cc00000000000000ec009b000000d6000000000000001f000000d19f00"
	"1d000000a6002cc764ea000000000000f93c0000000031000100000000000000"
	"0000001f001900740000000000000000000000390000280000e0008400ab1800"
	"6d000000000000000000280000f2000000000000000000000000005a97d00000"
	"000000f3110000f200000000002d00000000790000008b630000000000000000"
	"90000055000000000000000054660000de00a800000000000000000000000000"
	"aa000035000000564a41000000ae00000008e000b80000000100000000000000"
	"000000000000000000000000000000000000000000000000";

static void unhex(const char *h, void *out, size_t n)
{
	uint8_t *o = out;
	size_t i;

	memset(out, 0, n);
	for (i = 0; i < n && h[2 * i] && h[2 * i + 1]; i++) {
		unsigned int v;

		TEST_ASSERT(sscanf(h + 2 * i, "%2x", &v) == 1, "bad hex");
		o[i] = v;
	}
}

static void guest_sync_loop(void)
{
	for (;;)
		GUEST_SYNC(1);
}

/* ---- KVM_SET_SREGS refusals ---- */

struct sregs_case {
	const char *name;
	void (*mutate)(struct kvm_sregs *s);
};

static void cr0_high(struct kvm_sregs *s) { s->cr0 |= 1ull << 32; }
static void cr0_nw_no_cd(struct kvm_sregs *s) { s->cr0 = (s->cr0 | CR0_NW) & ~CR0_CD; }
static void cr0_pg_no_pe(struct kvm_sregs *s) { s->cr0 &= ~CR0_PE; }
static void cr4_reserved(struct kvm_sregs *s) { s->cr4 |= 1ull << 63; }
static void long_no_pae(struct kvm_sregs *s) { s->cr4 &= ~CR4_PAE; }
static void long_no_lma(struct kvm_sregs *s) { s->efer &= ~EFER_LMA; }
static void cr3_above_maxphyaddr(struct kvm_sregs *s) { s->cr3 |= 1ull << 62; }
static void apic_base_bit0(struct kvm_sregs *s) { s->apic_base |= 1; }
static void apic_base_above_maxphyaddr(struct kvm_sregs *s) { s->apic_base |= 1ull << 60; }

static void apic_base_x2apic_disabled(struct kvm_sregs *s)
{
	s->apic_base = (s->apic_base | (1ull << 10)) & ~(1ull << 11);
}

static void lma_without_paging(struct kvm_sregs *s)
{
	s->cr0 &= ~CR0_PG;
	s->cs.l = 0;
}

static void cs_l_without_long_mode(struct kvm_sregs *s)
{
	s->cr0 &= ~CR0_PG;
	s->efer &= ~(EFER_LME | EFER_LMA);
}

static const struct sregs_case refused[] = {
	{ "cr0_bits_63_32", cr0_high },
	{ "cr0_nw_without_cd", cr0_nw_no_cd },
	{ "cr0_pg_without_pe", cr0_pg_no_pe },
	{ "cr4_reserved_bit", cr4_reserved },
	{ "long_mode_without_pae", long_no_pae },
	{ "long_mode_without_lma", long_no_lma },
	{ "lma_without_paging", lma_without_paging },
	{ "cs_l_outside_long_mode", cs_l_without_long_mode },
	{ "cr3_above_maxphyaddr", cr3_above_maxphyaddr },
	{ "apic_base_reserved_bit", apic_base_bit0 },
	{ "apic_base_above_maxphyaddr", apic_base_above_maxphyaddr },
	{ "apic_base_x2apic_while_disabled", apic_base_x2apic_disabled },
};

/* EINVAL, and KVM_GET_SREGS still returns @before. */
static bool set_sregs_refused(struct kvm_vcpu *vcpu, struct kvm_sregs *bad,
			      const struct kvm_sregs *before)
{
	struct kvm_sregs after;
	int r = __vcpu_ioctl(vcpu, KVM_SET_SREGS, bad);

	if (r != -1 || errno != EINVAL) {
		pr_info("KVM_SET_SREGS: %d (%s), expected EINVAL", r,
			r ? errno_name(errno) : "accepted");
		return false;
	}
	vcpu_sregs_get(vcpu, &after);
	if (memcmp(&after, before, sizeof(after))) {
		pr_info("the refused KVM_SET_SREGS changed the state");
		return false;
	}
	return true;
}

static void test_sregs_refused(void)
{
	struct kvm_sregs base, bad;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_sync_loop);
	unsigned int i;

	/*
	 * As the fuzzer had it: a vCPU without a CPUID table, whose
	 * MAXPHYADDR is then 36, below the APIC base's bit 39.
	 */
	{
		struct kvm_vm *bare = vm_create_barebones();
		struct kvm_vcpu *v = __vm_vcpu_add(bare, 0);

		vcpu_sregs_get(v, &base);
		unhex(fuzz_sregs_hex, &bad, sizeof(bad));
		ksft_test_result(set_sregs_refused(v, &bad, &base),
				 "sregs_fuzz_state_refused");
		kvm_vm_free(bare);
	}

	vcpu_sregs_get(vcpu, &base);

	for (i = 0; i < ARRAY_SIZE(refused); i++) {
		bad = base;
		refused[i].mutate(&bad);
		ksft_test_result(set_sregs_refused(vcpu, &bad, &base),
				 "sregs_refused_%s", refused[i].name);
	}
	/* Still a working vCPU. */
	ksft_test_result(vcpu_run_ucall(vcpu, &(struct ucall){}) == UCALL_SYNC,
			 "sregs_refused_vcpu_still_runs");
	kvm_vm_free(vm);
}

/* ---- states the entry checks refuse ---- */

struct entry_case {
	const char *name;
	void (*mutate)(struct kvm_sregs *s, struct kvm_regs *r);
	/*
	 * Why the reference cannot run it here, or NULL.  Linux 6.1 hands
	 * these states to VMRUN; QEMU's TCG checks less than the APM asks.
	 */
	const char *ref_skip;
};

static void efer_reserved(struct kvm_sregs *s, struct kvm_regs *r)
{
	(void)r;
	s->efer |= 1ull << 20;
}

static void cs_l_and_d(struct kvm_sregs *s, struct kvm_regs *r)
{
	(void)r;
	s->cs.l = 1;
	s->cs.db = 1;
}

static void rflags_reserved(struct kvm_sregs *s, struct kvm_regs *r)
{
	(void)s;
	r->rflags |= 1ull << 3;
}

/* Real mode, with the fuzzer's CS base (bits 63:32 set). */
static void real_mode_cs_base_high(struct kvm_sregs *s, struct kvm_regs *r)
{
	s->cr0 = CR0_CD | CR0_NW | 0x10;	/* ET */
	s->cr4 = 0;
	s->efer = 0;
	s->cs.base = 0x265e00000000b2d5ull;
	s->cs.l = 0;
	s->cs.db = 0;
	r->rip = 0xc8ed;
}

/* The fuzzer's state, with the APIC base KVM would accept. */
static void fuzz_state(struct kvm_sregs *s, struct kvm_regs *r)
{
	unhex(fuzz_sregs_hex, s, sizeof(*s));
	s->apic_base = 0xfee00900;
	memset(s->interrupt_bitmap, 0, sizeof(s->interrupt_bitmap));
	r->rip = 0xc8ed;
	r->rflags = 0x5cc70e;
}

static const struct entry_case entry_refused[] = {
	{ "efer_reserved_bit", efer_reserved, NULL },
	{ "cs_l_and_d_in_long_mode", cs_l_and_d, NULL },
	{ "real_mode_cs_base_above_4g", real_mode_cs_base_high,
	  "Linux 6.1 passes it to VMRUN, which QEMU's TCG does not check" },
	{ "rflags_reserved_bit", rflags_reserved,
	  "Linux 6.1 passes it to VMRUN, which QEMU's TCG does not check" },
	{ "fuzz_state_valid_apic_base", fuzz_state,
	  "QEMU's TCG wrecks the host CPU on it (Documentation/security.rst)" },
};

static void test_entry_refused(void)
{
	struct kvm_sregs base_s, s;
	struct kvm_regs base_r, r;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_sync_loop);
	bool svm = !strncmp(test_config(), "svm", 3);
	unsigned int i;

	vcpu_sregs_get(vcpu, &base_s);
	vcpu_regs_get(vcpu, &base_r);
	for (i = 0; i < ARRAY_SIZE(entry_refused); i++) {
		const struct entry_case *c = &entry_refused[i];
		unsigned long long refusals_before = 0;
		struct ucall uc;
		bool ok;
		int ret;

		if (test_mode() == TEST_MODE_REF && c->ref_skip) {
			char name[80];

			snprintf(name, sizeof(name), "entry_refused_%s", c->name);
			ksft_test_result_skip(name, "%s", c->ref_skip);
			continue;
		}
		s = base_s;
		r = base_r;
		c->mutate(&s, &r);
		ret = __vcpu_ioctl(vcpu, KVM_SET_SREGS, &s);
		ok = !ret && !__vcpu_ioctl(vcpu, KVM_SET_REGS, &r);
		if (!ok)
			pr_info("%s: KVM_SET_SREGS/REGS refused it: %s", c->name,
				errno_name(errno));
		if (test_mode() == TEST_MODE_KVMM)
			TEST_ASSERT(!vm_debugfs_stat(vm->fd,
						     "vcpu0/entry_state_invalid",
						     &refusals_before),
				    "debugfs vcpu0/entry_state_invalid");
		ret = ok ? _vcpu_run(vcpu) : -1;
		ok = ok && !ret &&
		     vcpu->run->exit_reason == KVM_EXIT_FAIL_ENTRY;
		pr_info("%s: KVM_RUN %d, exit %s, hardware reason %#llx",
			c->name, ret, exit_reason_str(vcpu->run->exit_reason),
			(unsigned long long)vcpu->run->fail_entry.hardware_entry_failure_reason);
		/*
		 * kvmm refused it itself (the counter), before the CPU saw it,
		 * with VMEXIT_INVALID (APM vol. 2, appendix C), all 64 bits.
		 */
		if (test_mode() == TEST_MODE_KVMM) {
			unsigned long long refusals;

			TEST_ASSERT(!vm_debugfs_stat(vm->fd,
						     "vcpu0/entry_state_invalid",
						     &refusals),
				    "debugfs vcpu0/entry_state_invalid");
			ok = ok && refusals == refusals_before + 1;
			if (svm)
				ok = ok && vcpu->run->fail_entry.hardware_entry_failure_reason ==
					   ~0ull;
		}
		/* A valid state again: the guest carries on. */
		vcpu_sregs_set(vcpu, &base_s);
		vcpu_regs_set(vcpu, &base_r);
		ok = ok && vcpu_run_ucall(vcpu, &uc) == UCALL_SYNC;
		vcpu_regs_get(vcpu, &base_r);
		ksft_test_result(ok, "entry_refused_%s", c->name);
	}
	kvm_vm_free(vm);
}

/* ---- EFER, PAT, APIC_BASE through SET_MSRS and WRMSR ---- */

struct msr_case {
	const char *name;
	uint32_t index;
	uint64_t bad;		/* refused by both paths */
};

static void test_msrs_refused(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_msr_ops);
	uint64_t efer, pat, apic;
	unsigned int i;

	vm_install_msr_gp_handler(vm);
	TEST_ASSERT_EQ(__vcpu_get_msr(vcpu, MSR_EFER, &efer), 1);
	TEST_ASSERT_EQ(__vcpu_get_msr(vcpu, MSR_IA32_CR_PAT, &pat), 1);
	TEST_ASSERT_EQ(__vcpu_get_msr(vcpu, MSR_IA32_APICBASE, &apic), 1);
	{
		const struct msr_case cases[] = {
			{ "efer_bit20", MSR_EFER, efer | (1ull << 20) },
			{ "pat_type2", MSR_IA32_CR_PAT,
			  (pat & ~0xffull) | 2 },
			{ "pat_type3_byte7", MSR_IA32_CR_PAT,
			  (pat & ~(0xffull << 56)) | (3ull << 56) },
			{ "apic_base_bit0", MSR_IA32_APICBASE, apic | 1 },
		};

		for (i = 0; i < ARRAY_SIZE(cases); i++) {
			const struct msr_case *c = &cases[i];
			uint64_t before, after;
			bool host_ok, guest_ok;

			TEST_ASSERT_EQ(__vcpu_get_msr(vcpu, c->index, &before), 1);
			host_ok = __vcpu_set_msr(vcpu, c->index, c->bad) == 0;
			guest_ok = guest_msr(vcpu, c->index, true, c->bad, NULL);
			TEST_ASSERT_EQ(__vcpu_get_msr(vcpu, c->index, &after), 1);
			if (!host_ok)
				pr_info("%s: KVM_SET_MSRS took %#llx", c->name,
					(unsigned long long)c->bad);
			if (!guest_ok)
				pr_info("%s: guest WRMSR %#llx without #GP",
					c->name, (unsigned long long)c->bad);
			ksft_test_result(host_ok && guest_ok && after == before,
					 "msr_refused_%s", c->name);
		}
	}
	/* The valid neighbours go through: the checks are not too wide. */
	ksft_test_result(__vcpu_set_msr(vcpu, MSR_IA32_CR_PAT,
					0x0007040600070406ull) == 1 &&
			 !guest_msr(vcpu, MSR_IA32_CR_PAT, true,
				    0x0606060606060606ull, NULL) &&
			 !guest_msr(vcpu, MSR_EFER, true, efer, NULL),
			 "msr_valid_values_accepted");
	kvm_vm_free(vm);
}

/* ---- kvmm only: the TLB rule's counters ---- */

struct tlb_counts {
	unsigned long long cpu, mmu, flushes;
};

static bool tlb_counts(struct kvm_vm *vm, struct tlb_counts *c)
{
	return !vm_debugfs_stat(vm->fd, "vcpu0/tlb_flush_cpu", &c->cpu) &&
	       !vm_debugfs_stat(vm->fd, "vcpu0/tlb_flush_mmu", &c->mmu) &&
	       !vm_debugfs_stat(vm->fd, "vcpu0/tlb_flushes", &c->flushes);
}

#define TLB_GPA		0xc0000000ull
#define TLB_SLOT	10

static void guest_touch(uint64_t gpa)
{
	for (;;) {
		*(volatile uint64_t *)gpa += 1;
		GUEST_SYNC(1);
	}
}

/* Run once on @cpu; the counters' growth over that run. */
static struct tlb_counts run_on(struct kvm_vm *vm, struct kvm_vcpu *vcpu,
				int cpu)
{
	struct tlb_counts a, b;
	struct ucall uc;

	pin(cpu);
	TEST_ASSERT(tlb_counts(vm, &a), "debugfs vcpu0 counters");
	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
	TEST_ASSERT(tlb_counts(vm, &b), "debugfs vcpu0 counters");
	return (struct tlb_counts){ b.cpu - a.cpu, b.mmu - a.mmu,
				    b.flushes - a.flushes };
}

static void test_tlb_rule(void)
{
	struct tlb_counts d, c;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	uint8_t *mem;

	if (test_mode() != TEST_MODE_KVMM) {
		ksft_test_result_skip("tlb_flush_on_return_to_cpu",
				      "kvmm's debugfs counters");
		ksft_test_result_skip("tlb_flush_after_zap",
				      "kvmm's debugfs counters");
		return;
	}
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		ksft_test_result_skip("tlb_flush_on_return_to_cpu", "one CPU");
		ksft_test_result_skip("tlb_flush_after_zap", "one CPU");
		return;
	}
	vm = vm_create_with_one_vcpu(&vcpu, guest_touch);
	mem = vm_userspace_mem_region_add(vm, TLB_SLOT, TLB_GPA, 1, 0);
	vcpu_args_set(vcpu, 1, TLB_GPA);
	TEST_ASSERT(tlb_counts(vm, &c), "no kvmm debugfs vcpu0 counters");

	/*
	 * X, then Y; the page the guest uses goes away while the vCPU is
	 * out (the generation moves), Y flushes for it; back on X, whose
	 * TLB still holds the old translation: X must flush too.
	 */
	run_on(vm, vcpu, 0);
	d = run_on(vm, vcpu, 0);
	pr_info("again on cpu0: cpu %llu mmu %llu flushes %llu", d.cpu, d.mmu,
		d.flushes);
	c = run_on(vm, vcpu, 1);
	TEST_ASSERT(!madvise(mem, getpagesize(), MADV_DONTNEED), "madvise");
	d = run_on(vm, vcpu, 1);
	pr_info("zap, cpu1 again: cpu %llu mmu %llu flushes %llu", d.cpu,
		d.mmu, d.flushes);
	ksft_test_result(c.cpu == 1 && c.flushes >= 1 && d.mmu >= 1 &&
			 d.flushes >= 1, "tlb_flush_after_zap");
	d = run_on(vm, vcpu, 0);
	pr_info("back on cpu0: cpu %llu mmu %llu flushes %llu", d.cpu, d.mmu,
		d.flushes);
	ksft_test_result(d.cpu == 1 && d.flushes >= 1,
			 "tlb_flush_on_return_to_cpu");
	kvm_vm_free(vm);
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(1 + ARRAY_SIZE(refused) + 1 + ARRAY_SIZE(entry_refused) +
		      4 + 1 + 2);
	test_sregs_refused();
	test_entry_refused();
	test_msrs_refused();
	test_tlb_rule();
	ksft_finished();
}
