// SPDX-License-Identifier: GPL-2.0
/*
 * event_delivery: events whose delivery is cut short by an exit, events
 * queued beside one another, and the EVENTINJ encoding (kvmm only).
 *
 * From the APM (vol. 2, 15.7.2 EXITINTINFO, 15.20 event injection) and
 * api.rst ("KVM_INTERRUPT", "KVM_GET/SET_VCPU_EVENTS"):
 *  - an exception whose delivery causes a #VMEXIT (here: a nested page
 *    fault on the stack the CPU pushes its frame to, whose host page was
 *    taken away with MADV_DONTNEED) is delivered again with its error
 *    code: the guest's #GP handler sees the selector it loaded;
 *  - an interrupt from KVM_INTERRUPT, or an NMI set 'injected', queued
 *    beside an exception is delivered after it, not dropped (kvmm only:
 *    Linux 6.1 clears both at the first exit after the exception's
 *    entry, see svm_complete_interrupts);
 *  - kvmm only, through the tracepoint kvmm:kvmm_inj_event: EVENTINJ has
 *    the APM's layout for an exception with and without an error code,
 *    an NMI, an interrupt, and for the exception re-injected above (QEMU
 *    pushes an error code whether EV is set or not, so no guest sees a
 *    dropped EV bit; Documentation/testing.rst).
 */
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "processor.h"
#include "kvmm_env.h"

#define IRQ_VECTOR	0x40
/* Past the GDT's limit (GDT_ENTRIES): loading it is #GP(selector). */
#define BAD_SEL		0x0ff8
#define HOST_GP_ERROR	0x1234

/* EVENTINJ (APM vol. 2, 15.20), spelled out here from the manual. */
#define EVTINJ_V		(1ull << 31)
#define EVTINJ_EV		(1ull << 11)
#define EVTINJ_TYPE(t)		((uint64_t)(t) << 8)
#define EVTINJ_INTR		EVTINJ_TYPE(0)
#define EVTINJ_NMI		EVTINJ_TYPE(2)
#define EVTINJ_EXCEPTION	EVTINJ_TYPE(3)
#define EVTINJ_ERR(e)		((uint64_t)(e) << 32)

/* Two pages: the fault's frame goes on the upper one, which the host drops. */
static uint8_t gp_stack[2 * PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static volatile uint64_t gp_count, gp_error, ud_count, irq_count, nmi_count;

extern const char fs_load[], fs_load_end[];

static void guest_gp_handler(struct ex_regs *regs)
{
	gp_count++;
	gp_error = regs->error_code;
	if (regs->rip == (uintptr_t)fs_load)
		regs->rip = (uintptr_t)fs_load_end;
}

static void guest_ud_handler(struct ex_regs *regs __attribute__((unused)))
{
	ud_count++;
}

static void guest_irq_handler(struct ex_regs *regs __attribute__((unused)))
{
	irq_count++;
}

static void guest_nmi_handler(struct ex_regs *regs __attribute__((unused)))
{
	nmi_count++;
}

static void reset_counts(void)
{
	gp_count = gp_error = ud_count = irq_count = nmi_count = 0;
}

/* Any intercepted instruction: one more exit and entry. */
static void guest_exit_once(void)
{
	uint32_t eax = 0, ebx, ecx = 0, edx;

	__asm__ __volatile__("cpuid"
			     : "+a"(eax), "=b"(ebx), "+c"(ecx), "=d"(edx));
}

static void guest_code(void)
{
	/* 1: #GP(BAD_SEL), pushed onto a page the host has taken away. */
	reset_counts();
	GUEST_SYNC(1);
	__asm__ __volatile__("mov %%rsp, %%rbx\n\t"
			     "mov %[top], %%rsp\n\t"
			     "fs_load: mov %[sel], %%fs\n\t"
			     "fs_load_end: mov %%rbx, %%rsp\n\t"
			     :
			     : [top] "r"(gp_stack + sizeof(gp_stack)),
			       [sel] "r"((uint16_t)BAD_SEL)
			     : "rbx", "memory");
	GUEST_SYNC_ARGS(2, gp_count, gp_error, 0, 0);

	/* 2: the host queues a #GP and a KVM_INTERRUPT together. */
	reset_counts();
	GUEST_SYNC(3);
	guest_exit_once();
	GUEST_SYNC_ARGS(4, gp_count, gp_error, irq_count, 0);

	/* 3: the host sets a #GP and an NMI, both injected. */
	reset_counts();
	GUEST_SYNC(5);
	guest_exit_once();
	GUEST_SYNC_ARGS(6, gp_count, nmi_count, 0, 0);

	/* 4: one event per stop, for their encodings. */
	reset_counts();
	GUEST_SYNC(7);		/* #UD, no error code */
	GUEST_SYNC(8);		/* KVM_NMI */
	GUEST_SYNC(9);		/* KVM_INTERRUPT */
	GUEST_SYNC_ARGS(10, ud_count, nmi_count, irq_count, 0);
	GUEST_DONE();
}

/* ---- the tracepoint (kvmm mode) ---- */

#define TRACE_EVENT_DIR	"events/kvmm/kvmm_inj_event"
#define MAX_INJ		16

static char trace_dir[64];

static bool file_exists(const char *path)
{
	struct stat st;

	return !stat(path, &st);
}

static bool trace_write(const char *name, const char *val)
{
	char path[160];
	int fd, n;

	snprintf(path, sizeof(path), "%s/%s", trace_dir, name);
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0)
		return false;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (int)strlen(val);
}

/*
 * Why the EVENTINJ checks cannot run, or NULL when kvmm_inj_event is on
 * and its buffer empty.
 */
static const char *trace_start(void)
{
	static const char *const dirs[] = { "/sys/kernel/tracing",
					    "/sys/kernel/debug/tracing" };
	char path[160];
	unsigned int i;

	if (test_mode() == TEST_MODE_REF)
		return "kvmm's tracepoint: Linux KVM traces events, not EVENTINJ";
	for (i = 0; i < ARRAY_SIZE(dirs) && !trace_dir[0]; i++) {
		snprintf(path, sizeof(path), "%s/trace", dirs[i]);
		if (file_exists(path))
			snprintf(trace_dir, sizeof(trace_dir), "%s", dirs[i]);
	}
	if (!trace_dir[0])
		return "no tracefs";
	snprintf(path, sizeof(path), "%s/%s", trace_dir, TRACE_EVENT_DIR);
	TEST_ASSERT(file_exists(path) || test_mode() != TEST_MODE_KVMM,
		    "kvmm is loaded but %s is missing", path);
	if (!file_exists(path))
		return "no kvmm_inj_event tracepoint (not kvmm)";
	TEST_ASSERT(trace_write(TRACE_EVENT_DIR "/enable", "1") &&
		    trace_write("trace", ""), "cannot enable %s", path);
	return NULL;
}

static void trace_stop(void)
{
	if (trace_dir[0])
		trace_write(TRACE_EVENT_DIR "/enable", "0");
}

/*
 * The EVENTINJ values traced since the last call, oldest first, into
 * @v[MAX_INJ]; the buffer is cleared.  Returns how many.
 */
static int trace_take(uint64_t *v)
{
	char path[160], line[512];
	unsigned long long val;
	const char *p;
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/trace", trace_dir);
	f = fopen(path, "r");
	TEST_ASSERT(f, "open %s", path);
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || !strstr(line, "kvmm_inj_event:"))
			continue;
		p = strstr(line, "event_inj ");
		TEST_ASSERT(p && sscanf(p, "event_inj %llx", &val) == 1,
			    "unexpected trace line: %s", line);
		TEST_ASSERT(n < MAX_INJ, "more than %d injections", MAX_INJ);
		v[n++] = val;
	}
	fclose(f);
	trace_write("trace", "");
	return n;
}

/*
 * One sub-result: the injections traced since the last call are @want;
 * with @nr_want 0, one or more, each equal to @want[0] (an entry whose
 * delivery faults again is retried: the host may take a fault more than
 * once while it maps the page back).
 */
static void check_injections(const char *skip, const char *name,
			     const uint64_t *want, int nr_want)
{
	uint64_t got[MAX_INJ];
	int i, n;
	bool ok;

	if (skip) {
		ksft_test_result_skip(name, "%s", skip);
		return;
	}
	n = trace_take(got);
	ok = nr_want ? n == nr_want : n >= 1;
	for (i = 0; ok && i < n; i++)
		ok = got[i] == want[nr_want ? i : 0];
	if (!ok) {
		pr_info("%s: %d injections traced, expected %d", name, n,
			nr_want);
		for (i = 0; i < n; i++)
			pr_info("  traced   %#llx", (unsigned long long)got[i]);
		for (i = 0; i < (nr_want ? nr_want : 1); i++)
			pr_info("  expected %#llx%s", (unsigned long long)want[i],
				nr_want ? "" : " (once or more)");
	}
	ksft_test_result(ok, "%s", name);
}

/* ---- host ---- */

static void set_exception(struct kvm_vcpu *vcpu, uint8_t nr, bool has_err,
			  uint32_t err, bool nmi)
{
	struct kvm_vcpu_events ev;

	vcpu_ioctl(vcpu, KVM_GET_VCPU_EVENTS, &ev);
	ev.flags = 0;
	ev.exception.injected = 1;
	ev.exception.nr = nr;
	ev.exception.has_error_code = has_err;
	ev.exception.error_code = err;
	ev.nmi.injected = nmi;
	vcpu_ioctl(vcpu, KVM_SET_VCPU_EVENTS, &ev);
}

int main(void)
{
	const uint64_t gp_host = EVTINJ_V | EVTINJ_EXCEPTION | EVTINJ_EV |
				 13 | EVTINJ_ERR(HOST_GP_ERROR);
	const uint64_t gp_sel = EVTINJ_V | EVTINJ_EXCEPTION | EVTINJ_EV |
				13 | EVTINJ_ERR(BAD_SEL);
	const uint64_t ud = EVTINJ_V | EVTINJ_EXCEPTION | 6;
	const uint64_t nmi = EVTINJ_V | EVTINJ_NMI | 2;
	const uint64_t intr = EVTINJ_V | EVTINJ_INTR | IRQ_VECTOR;
	const uint64_t gp_then_intr[] = { gp_host, intr };
	const uint64_t gp_then_nmi[] = { gp_host, nmi };
	const char *ref_drops = "Linux 6.1 drops it (svm_complete_interrupts)";
	struct kvm_interrupt irq = { .irq = IRQ_VECTOR };
	bool ref = test_mode() == TEST_MODE_REF;
	const char *no_trace;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	void *page;

	ksft_print_header();
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_USER_MEMORY));
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_SYNC_MMU));
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_VCPU_EVENTS));
	ksft_set_plan(10);

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	vm_install_exception_handler(vm, 13, guest_gp_handler);
	vm_install_exception_handler(vm, 6, guest_ud_handler);
	vm_install_exception_handler(vm, 2, guest_nmi_handler);
	vm_install_exception_handler(vm, IRQ_VECTOR, guest_irq_handler);
	no_trace = trace_start();

	/* 1 */
	vcpu_run_expect_sync(vcpu, 1);
	page = addr_gva2hva(vm, (vm_vaddr_t)(gp_stack + PAGE_SIZE));
	TEST_ASSERT(!((uintptr_t)page & (PAGE_SIZE - 1)),
		    "guest stack page at %p", page);
	TEST_ASSERT(!madvise(page, PAGE_SIZE, MADV_DONTNEED), "madvise");
	uc = vcpu_run_expect_sync(vcpu, 2);
	if (uc.args[1] != 1 || uc.args[2] != BAD_SEL)
		pr_info("%llu #GP, error code %#llx (expected 1, %#x)",
			(unsigned long long)uc.args[1],
			(unsigned long long)uc.args[2], BAD_SEL);
	ksft_test_result(uc.args[1] == 1 && uc.args[2] == BAD_SEL,
			 "interrupted_exception_keeps_error_code");
	/* Only re-injections go through EVENTINJ. */
	check_injections(no_trace, "evtinj_reinjected_exception", &gp_sel, 0);

	/* 2 */
	vcpu_run_expect_sync(vcpu, 3);
	if (!ref) {
		set_exception(vcpu, 13, true, HOST_GP_ERROR, false);
		vcpu_ioctl(vcpu, KVM_INTERRUPT, &irq);
	}
	uc = vcpu_run_expect_sync(vcpu, 4);
	if (ref) {
		ksft_test_result_skip("interrupt_beside_exception_delivered",
				      "%s", ref_drops);
	} else {
		if (uc.args[1] != 1 || uc.args[3] != 1)
			pr_info("%llu #GP (error code %#llx), %llu interrupts; expected one each",
				(unsigned long long)uc.args[1],
				(unsigned long long)uc.args[2],
				(unsigned long long)uc.args[3]);
		ksft_test_result(uc.args[1] == 1 &&
				 uc.args[2] == HOST_GP_ERROR &&
				 uc.args[3] == 1,
				 "interrupt_beside_exception_delivered");
	}
	check_injections(no_trace, "evtinj_exception_then_interrupt",
			 gp_then_intr, 2);

	/* 3 */
	vcpu_run_expect_sync(vcpu, 5);
	if (!ref)
		set_exception(vcpu, 13, true, HOST_GP_ERROR, true);
	uc = vcpu_run_expect_sync(vcpu, 6);
	if (ref) {
		ksft_test_result_skip("nmi_beside_exception_delivered", "%s",
				      ref_drops);
	} else {
		if (uc.args[1] != 1 || uc.args[2] != 1)
			pr_info("%llu #GP, %llu NMIs; expected one each",
				(unsigned long long)uc.args[1],
				(unsigned long long)uc.args[2]);
		ksft_test_result(uc.args[1] == 1 && uc.args[2] == 1,
				 "nmi_beside_exception_delivered");
	}
	check_injections(no_trace, "evtinj_exception_then_nmi", gp_then_nmi,
			 2);

	/* 4 */
	vcpu_run_expect_sync(vcpu, 7);
	set_exception(vcpu, 6, false, 0, false);
	vcpu_run_expect_sync(vcpu, 8);
	check_injections(no_trace, "evtinj_exception_without_error_code",
			 &ud, 1);
	vcpu_ioctl(vcpu, KVM_NMI, NULL);
	vcpu_run_expect_sync(vcpu, 9);
	check_injections(no_trace, "evtinj_nmi", &nmi, 1);
	vcpu_ioctl(vcpu, KVM_INTERRUPT, &irq);
	uc = vcpu_run_expect_sync(vcpu, 10);
	check_injections(no_trace, "evtinj_interrupt", &intr, 1);
	if (uc.args[1] != 1 || uc.args[2] != 1 || uc.args[3] != 1)
		pr_info("%llu #UD, %llu NMIs, %llu interrupts; expected one each",
			(unsigned long long)uc.args[1],
			(unsigned long long)uc.args[2],
			(unsigned long long)uc.args[3]);
	ksft_test_result(uc.args[1] == 1 && uc.args[2] == 1 && uc.args[3] == 1,
			 "single_events_delivered");

	vcpu_run_expect_done(vcpu);
	trace_stop();
	kvm_vm_free(vm);
	ksft_finished();
}
