// SPDX-License-Identifier: GPL-2.0
/*
 * tsc_aux: the guest's IA32_TSC_AUX (MSR 0xc0000103), and the host's.
 *
 * RDTSCP returns TSC_AUX in ECX and RDPID returns it whole; Linux sets
 * each CPU's TSC_AUX to (node << 12) | cpu for user mode (vDSO getcpu).
 * VMRUN does not switch TSC_AUX and RDPID cannot be intercepted on SVM,
 * so a hypervisor loads the guest's value while the guest runs and must
 * have the host's back before user mode runs on that CPU.  Checked here,
 * against Linux 6.1 (x86.c __kvm_set_msr()/__kvm_get_msr(), svm.c):
 *  - TSC_AUX is in KVM_GET_MSR_INDEX_LIST, starts at 0, round-trips
 *    through KVM_SET/GET_MSRS;
 *  - bits 63:32: refused (KVM_SET_MSRS, guest #GP) when the guest's CPUID
 *    vendor is Intel, silently dropped otherwise (AMD ignores them);
 *  - the guest's RDMSR/WRMSR see and set the same value, and need RDTSCP
 *    or RDPID in the guest's CPUID (#GP otherwise);
 *  - RDTSCP (and RDPID where offered) in the guest return the guest's
 *    value on every run, while the vCPU thread hops between host CPUs,
 *    and for two vCPUs with different values sharing one CPU;
 *  - afterwards, in the host, RDTSCP on each CPU and /dev/cpu/N/msr show
 *    the host's value again (the CPU number in bits 11:0).
 * The guest's value 0x5a5a cannot be a CPU number of the test hosts.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <unistd.h>

#include "processor.h"
#include "host_util.h"

#define MSR_TSC_AUX		0xc0000103
#define GUEST_AUX		0x5a5a
#define GUEST_AUX2		0xa5a5

#define CPUID_RDTSCP		(1u << 27)	/* 8000_0001:EDX */
#define CPUID_RDPID		(1u << 22)	/* 7.0:ECX */

#define MAX_CPUS		64

/* ---- guest ---- */

static uint64_t op_write, op_val;
static volatile uint64_t gp_count;

static void guest_gp_handler(struct ex_regs *regs)
{
	gp_count++;
	regs->rip += 2;		/* RDMSR and WRMSR are 0F 32 / 0F 30 */
}

static inline uint32_t guest_rdtscp(void)
{
	uint32_t lo, hi, aux;

	__asm__ __volatile__("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
	(void)lo;
	(void)hi;
	return aux;
}

static inline uint64_t guest_rdpid(void)
{
	uint64_t v;

	/* RDPID %rax (F3 0F C7 /7), spelled out for older assemblers. */
	__asm__ __volatile__(".byte 0xf3, 0x0f, 0xc7, 0xf8" : "=a"(v));
	return v;
}

/* One RDMSR or WRMSR of TSC_AUX per run: #GP?, value read. */
static void guest_msr_ops(void)
{
	for (;;) {
		uint64_t before = gp_count, val = 0;

		if (*(volatile uint64_t *)&op_write)
			wrmsr(MSR_TSC_AUX, *(volatile uint64_t *)&op_val);
		else
			val = rdmsr(MSR_TSC_AUX);
		GUEST_SYNC_ARGS(0, gp_count != before, val, 0, 0);
	}
}

/* RDTSCP (and RDPID) once per run, reported to the host. */
static void guest_report_aux(uint64_t use_rdpid)
{
	for (;;) {
		uint64_t aux = guest_rdtscp();
		uint64_t pid = use_rdpid ? guest_rdpid() : 0;

		GUEST_SYNC_ARGS(1, aux, pid, 0, 0);
	}
}

#define CHECK_LOOPS	20000

/* RDTSCP (and RDPID) many times per run, each checked in the guest. */
static void guest_check_aux(uint64_t expect, uint64_t use_rdpid)
{
	uint64_t i;

	for (;;) {
		for (i = 0; i < CHECK_LOOPS; i++) {
			GUEST_ASSERT_EQ(guest_rdtscp(), expect);
			if (use_rdpid)
				GUEST_ASSERT_EQ(guest_rdpid(), expect);
		}
		GUEST_SYNC(2);
	}
}

/* ---- host ---- */

static int ncpus;
static bool offer_rdpid;
static uint32_t host_aux[MAX_CPUS];	/* RDTSCP on each CPU, before */

static uint32_t host_rdtscp(void)
{
	uint32_t lo, hi, aux;

	__asm__ __volatile__("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
	(void)lo;
	(void)hi;
	return aux;
}

static void unpin(void)
{
	cpu_set_t set;
	int cpu;

	CPU_ZERO(&set);
	for (cpu = 0; cpu < ncpus; cpu++)
		CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static int vcpu_get_aux(struct kvm_vcpu *vcpu, uint64_t *val)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1, .e.index = MSR_TSC_AUX };
	int r = __vcpu_ioctl(vcpu, KVM_GET_MSRS, &m);

	*val = m.e.data;
	return r;
}

static int vcpu_set_aux(struct kvm_vcpu *vcpu, uint64_t val)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1, .e.index = MSR_TSC_AUX, .e.data = val };

	return __vcpu_ioctl(vcpu, KVM_SET_MSRS, &m);
}

/* One guest access to TSC_AUX; true if it raised #GP, else *@out read. */
static bool guest_msr(struct kvm_vcpu *vcpu, bool write, uint64_t val,
		      uint64_t *out)
{
	struct ucall uc;

	write_guest_global(vcpu->vm, op_write, write);
	write_guest_global(vcpu->vm, op_val, val);
	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
	if (out)
		*out = uc.args[2];
	return uc.args[1];
}

enum vendor { VENDOR_SUPPORTED, VENDOR_AMD, VENDOR_INTEL };

/*
 * A VM running @guest_code with the supported CPUID, its vendor string
 * replaced as asked, and without RDTSCP and RDPID if !@rdtscp.
 */
static struct kvm_vm *new_vm(struct kvm_vcpu **vcpu, void *guest_code,
			     enum vendor vendor, bool rdtscp)
{
	struct kvm_vm *vm = vm_create_with_one_vcpu(vcpu, guest_code);
	struct kvm_cpuid2 *c = kvm_supported_cpuid_copy();
	struct kvm_cpuid_entry2 *e;

	vm_install_exception_handler(vm, GP_VECTOR, guest_gp_handler);
	e = cpuid_find_entry(c, 0, 0);
	TEST_ASSERT(e, "no CPUID leaf 0");
	if (vendor == VENDOR_AMD) {		/* "AuthenticAMD" */
		e->ebx = 0x68747541;
		e->edx = 0x69746e65;
		e->ecx = 0x444d4163;
	} else if (vendor == VENDOR_INTEL) {	/* "GenuineIntel" */
		e->ebx = 0x756e6547;
		e->edx = 0x49656e69;
		e->ecx = 0x6c65746e;
	}
	if (!rdtscp) {
		e = cpuid_find_entry(c, 0x80000001, 0);
		if (e)
			e->edx &= ~CPUID_RDTSCP;
		e = cpuid_find_entry(c, 7, 0);
		if (e)
			e->ecx &= ~CPUID_RDPID;
	}
	vcpu_set_cpuid(*vcpu, c);
	free(c);
	return vm;
}

static void test_index_list(void)
{
	struct kvm_msr_list probe = { .nmsrs = 0 }, *list;
	int fd = open_kvm_dev_path_or_exit();
	bool found = false;
	uint32_t i;

	__kvm_ioctl(fd, KVM_GET_MSR_INDEX_LIST, &probe);
	list = calloc(1, sizeof(*list) + probe.nmsrs * sizeof(__u32));
	TEST_ASSERT(list, "out of memory");
	list->nmsrs = probe.nmsrs;
	kvm_ioctl(fd, KVM_GET_MSR_INDEX_LIST, list);
	for (i = 0; i < list->nmsrs; i++)
		found |= list->indices[i] == MSR_TSC_AUX;
	free(list);
	close(fd);
	ksft_test_result(found, "tsc_aux_in_msr_index_list");
}

static void test_round_trip(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = new_vm(&vcpu, guest_msr_ops, VENDOR_SUPPORTED,
				   true);
	uint64_t v = 1;
	bool ok;

	ok = vcpu_get_aux(vcpu, &v) == 1 && v == 0;
	if (!ok)
		pr_info("TSC_AUX of a new vCPU: %#llx", (unsigned long long)v);
	ok = ok && vcpu_set_aux(vcpu, GUEST_AUX) == 1 &&
	     vcpu_get_aux(vcpu, &v) == 1 && v == GUEST_AUX;
	kvm_vm_free(vm);
	ksft_test_result(ok, "reset_zero_and_round_trip");
}

/* Bits 63:32 follow the guest's CPUID vendor, for userspace and guest. */
static void test_high_bits(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	uint64_t v = 0;
	bool ok;

	vm = new_vm(&vcpu, guest_msr_ops, VENDOR_AMD, true);
	ok = vcpu_set_aux(vcpu, 0x100000000ull | GUEST_AUX) == 1 &&
	     vcpu_get_aux(vcpu, &v) == 1 && v == GUEST_AUX;
	if (!ok)
		pr_info("AMD: set %#llx, read %#llx",
			0x100000000ull | GUEST_AUX, (unsigned long long)v);
	ok = ok && !guest_msr(vcpu, true, 0x200000000ull | 0x1234, NULL) &&
	     vcpu_get_aux(vcpu, &v) == 1 && v == 0x1234;
	kvm_vm_free(vm);
	ksft_test_result(ok, "high_bits_dropped_for_amd_guest");

	vm = new_vm(&vcpu, guest_msr_ops, VENDOR_INTEL, true);
	ok = vcpu_set_aux(vcpu, 0x100000000ull | GUEST_AUX) == 0 &&
	     vcpu_get_aux(vcpu, &v) == 1 && v == 0;
	ok = ok && guest_msr(vcpu, true, 0x200000000ull | 0x1234, NULL);
	ok = ok && !guest_msr(vcpu, true, 0x1234, NULL) &&
	     vcpu_get_aux(vcpu, &v) == 1 && v == 0x1234;
	kvm_vm_free(vm);
	ksft_test_result(ok, "high_bits_refused_for_intel_guest");
}

static void test_guest_msr(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	uint64_t v = 0;
	bool ok;

	vm = new_vm(&vcpu, guest_msr_ops, VENDOR_SUPPORTED, true);
	ok = vcpu_set_aux(vcpu, GUEST_AUX) == 1;
	ok = ok && !guest_msr(vcpu, false, 0, &v) && v == GUEST_AUX;
	ok = ok && !guest_msr(vcpu, true, 0x1234, NULL) &&
	     vcpu_get_aux(vcpu, &v) == 1 && v == 0x1234;
	ok = ok && !guest_msr(vcpu, false, 0, &v) && v == 0x1234;
	if (!ok)
		pr_info("guest RDMSR/WRMSR: last value %#llx",
			(unsigned long long)v);
	kvm_vm_free(vm);

	/* Without RDTSCP and RDPID in CPUID the guest has no TSC_AUX. */
	vm = new_vm(&vcpu, guest_msr_ops, VENDOR_SUPPORTED, false);
	ok = ok && guest_msr(vcpu, false, 0, NULL) &&
	     guest_msr(vcpu, true, 1, NULL);
	ok = ok && vcpu_set_aux(vcpu, GUEST_AUX) == 1;
	kvm_vm_free(vm);
	ksft_test_result(ok, "guest_rdmsr_wrmsr");
}

/* The host's RDTSCP on this CPU gives what it gave before the test. */
static bool host_aux_ok(int cpu, const char *when)
{
	uint32_t aux = host_rdtscp();

	if (aux == host_aux[cpu] && (aux & 0xfff) == (uint32_t)cpu)
		return true;
	pr_info("%s: host RDTSCP on cpu %d gives %#x, expected %#x", when,
		cpu, aux, host_aux[cpu]);
	return false;
}

static void test_rdtscp_migrating(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	unsigned int bad = 0, runs = 0;
	int i;

	vm = new_vm(&vcpu, guest_report_aux, VENDOR_SUPPORTED, true);
	vcpu_args_set(vcpu, 1, (uint64_t)offer_rdpid);
	TEST_ASSERT_EQ(vcpu_set_aux(vcpu, GUEST_AUX), 1);
	for (i = 0; i < 10 * ncpus; i++) {
		int cpu = i % ncpus;

		pin(cpu);
		TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
		runs++;
		if (uc.args[1] != GUEST_AUX ||
		    (offer_rdpid && uc.args[2] != GUEST_AUX)) {
			if (bad < 8)
				pr_info("run %d on cpu %d: guest RDTSCP %#llx, RDPID %#llx",
					i, cpu, (unsigned long long)uc.args[1],
					(unsigned long long)uc.args[2]);
			bad++;
		}
		if (!host_aux_ok(cpu, "after KVM_RUN"))
			bad++;
	}
	unpin();
	kvm_vm_free(vm);
	pr_info("%u runs over %d CPUs; RDPID %s", runs, ncpus,
		offer_rdpid ? "checked too" :
		!host_cpu_has("rdpid") ? "not checked (the host has none)" :
		"not checked (not in KVM_GET_SUPPORTED_CPUID)");
	ksft_test_result(!bad, "guest_rdtscp_every_run_across_cpus");
}

struct runner {
	struct kvm_vcpu *vcpu;
	int cpu;
	bool ok;
};

static void *run_checker(void *arg)
{
	struct runner *r = arg;
	struct ucall uc;
	int i;

	pin(r->cpu);
	for (i = 0; i < 10; i++) {
		vcpu_run(r->vcpu);
		if (get_ucall(r->vcpu, &uc) != UCALL_SYNC) {
			char buf[512];

			ucall_describe(r->vcpu, &uc, buf, sizeof(buf));
			pr_info("vCPU %u: %s", r->vcpu->id, buf);
			return NULL;
		}
	}
	r->ok = true;
	return NULL;
}

/* Two vCPUs with different values take turns on one CPU. */
static void test_two_vcpus_one_cpu(void)
{
	static const uint64_t aux[2] = { GUEST_AUX, GUEST_AUX2 };
	struct runner r[2];
	pthread_t t[2];
	struct kvm_vm *vm = vm_create(0);
	int i;

	for (i = 0; i < 2; i++) {
		r[i].vcpu = vm_vcpu_add(vm, i, guest_check_aux);
		r[i].cpu = ncpus - 1;
		r[i].ok = false;
		vcpu_args_set(r[i].vcpu, 2, aux[i], (uint64_t)offer_rdpid);
		TEST_ASSERT_EQ(vcpu_set_aux(r[i].vcpu, aux[i]), 1);
	}
	for (i = 0; i < 2; i++)
		TEST_ASSERT(!pthread_create(&t[i], NULL, run_checker, &r[i]),
			    "pthread_create");
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	kvm_vm_free(vm);
	ksft_test_result(r[0].ok && r[1].ok, "two_vcpus_share_a_cpu");
}

/*
 * Each CPU, once this task ran user code there: RDTSCP and the MSR
 * itself hold the host's value.
 */
static void test_host_intact(void)
{
	bool ok = true, msr_dev = true;
	uint64_t v;
	int cpu;

	for (cpu = 0; cpu < ncpus; cpu++) {
		pin(cpu);
		ok &= host_aux_ok(cpu, "at the end");
		if (host_read_msr(cpu, MSR_TSC_AUX, &v)) {
			msr_dev = false;
			continue;
		}
		if (v != host_aux[cpu]) {
			pr_info("cpu %d: TSC_AUX %#llx, expected %#x", cpu,
				(unsigned long long)v, host_aux[cpu]);
			ok = false;
		}
	}
	unpin();
	if (!msr_dev)
		pr_info("/dev/cpu/N/msr not readable: RDTSCP checked only");
	ksft_test_result(ok, "host_tsc_aux_intact");
}

int main(void)
{
	const struct kvm_cpuid_entry2 *e;
	int cpu;

	ksft_print_header();
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_USER_MEMORY));
	__TEST_REQUIRE(host_cpu_has("rdtscp"), "the host CPU has no RDTSCP");
	e = cpuid_find_entry(kvm_get_supported_cpuid(), 0x80000001, 0);
	__TEST_REQUIRE(e && (e->edx & CPUID_RDTSCP),
		       "KVM_GET_SUPPORTED_CPUID offers no RDTSCP");
	e = cpuid_find_entry(kvm_get_supported_cpuid(), 7, 0);
	offer_rdpid = e && (e->ecx & CPUID_RDPID) && host_cpu_has("rdpid");

	ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	TEST_ASSERT(ncpus >= 1 && ncpus <= MAX_CPUS, "%d CPUs", ncpus);
	for (cpu = 0; cpu < ncpus; cpu++) {
		pin(cpu);
		host_aux[cpu] = host_rdtscp();
	}
	unpin();

	ksft_set_plan(8);
	test_index_list();
	test_round_trip();
	test_high_bits();
	test_guest_msr();
	test_rdtscp_migrating();
	test_two_vcpus_one_cpu();
	test_host_intact();
	ksft_finished();
}
