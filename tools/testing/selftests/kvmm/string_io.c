// SPDX-License-Identifier: GPL-2.0
/*
 * string_io: REP INS/OUTS in long mode.
 *
 * A string I/O instruction exits with KVM_EXIT_IO whose count may exceed 1:
 * the elements are packed at data_offset in the order the port sees them
 * (api.rst, "KVM_EXIT_IO").  How many elements one exit carries is the
 * hypervisor's choice (Linux: up to a page, and fewer across page
 * boundaries), so the test concatenates exits until the instruction is
 * done and checks the stream, plus what the guest sees afterwards: RCX 0,
 * RSI/RDI advanced (or, with RFLAGS.DF set, moved backwards), and for INS
 * the memory filled in.
 *
 * Every sub-test is skipped while kvmm's gaps table lists "string_io"
 * (kvmm_gaps.h).
 */
#include "kvmm_gaps.h"
#include "processor.h"

#define PORT		0x40
#define NR_BYTES	64

static uint8_t out_buf[NR_BYTES];
static uint8_t in_buf[NR_BYTES];

/* One REP string instruction; @size 1, 2 or 4; returns RCX after it. */
#define REP_STRING(insn, ptr_reg, ptr, count, port)			\
({									\
	uint64_t __n = (count);						\
	void *__p = (ptr);						\
									\
	__asm__ __volatile__("rep " insn				\
			     : "+c"(__n), ptr_reg(__p), "+m"(out_buf),	\
			       "+m"(in_buf)				\
			     : "d"((uint16_t)(port)) : "memory");	\
	(ptr) = __p;							\
	__n;								\
})

static void guest_string_io(void)
{
	uint8_t *p;

	/* OUTS forwards, each size; RSI ends past the data. */
	p = out_buf;
	GUEST_ASSERT_EQ(REP_STRING("outsb", "+S", p, NR_BYTES, PORT), 0);
	GUEST_ASSERT_EQ((uintptr_t)p, (uintptr_t)(out_buf + NR_BYTES));
	GUEST_SYNC(1);
	p = out_buf;
	GUEST_ASSERT_EQ(REP_STRING("outsw", "+S", p, NR_BYTES / 2, PORT), 0);
	GUEST_ASSERT_EQ((uintptr_t)p, (uintptr_t)(out_buf + NR_BYTES));
	GUEST_SYNC(2);
	p = out_buf;
	GUEST_ASSERT_EQ(REP_STRING("outsl", "+S", p, NR_BYTES / 4, PORT), 0);
	GUEST_ASSERT_EQ((uintptr_t)p, (uintptr_t)(out_buf + NR_BYTES));
	GUEST_SYNC(3);

	/* INS forwards: RDI ends past the data. */
	p = in_buf;
	GUEST_ASSERT_EQ(REP_STRING("insb", "+D", p, NR_BYTES, PORT), 0);
	GUEST_ASSERT_EQ((uintptr_t)p, (uintptr_t)(in_buf + NR_BYTES));
	GUEST_SYNC(4);
	p = in_buf;
	GUEST_ASSERT_EQ(REP_STRING("insl", "+D", p, NR_BYTES / 4, PORT), 0);
	GUEST_SYNC(5);

	/* Backwards (DF = 1): from the last element down. */
	p = out_buf + NR_BYTES - 1;
	__asm__ __volatile__("std");
	GUEST_ASSERT_EQ(REP_STRING("outsb", "+S", p, NR_BYTES, PORT), 0);
	__asm__ __volatile__("cld");
	GUEST_ASSERT_EQ((uintptr_t)p, (uintptr_t)out_buf - 1);
	GUEST_SYNC(6);
	p = in_buf + NR_BYTES - 1;
	__asm__ __volatile__("std");
	GUEST_ASSERT_EQ(REP_STRING("insb", "+D", p, NR_BYTES, PORT), 0);
	__asm__ __volatile__("cld");
	GUEST_ASSERT_EQ((uintptr_t)p, (uintptr_t)in_buf - 1);
	GUEST_SYNC(7);

	/* A count of zero does no I/O at all. */
	p = out_buf;
	GUEST_ASSERT_EQ(REP_STRING("outsb", "+S", p, 0, PORT), 0);
	GUEST_ASSERT_EQ((uintptr_t)p, (uintptr_t)out_buf);
	GUEST_DONE();
}

/*
 * Run until the guest's next ucall, collecting (OUT) or supplying (IN)
 * @len bytes of string I/O of element size @size.  Returns false with a
 * message when an exit is not what string I/O should produce.
 */
static bool run_string(struct kvm_vcpu *vcpu, uint8_t dir, uint8_t size,
		       uint8_t *stream, size_t len, unsigned int *exits)
{
	struct kvm_run *run = vcpu->run;
	size_t done = 0;

	*exits = 0;
	for (;;) {
		size_t n;

		vcpu_run(vcpu);
		if (get_ucall(vcpu, NULL) != UCALL_NONE)
			break;
		if (run->exit_reason != KVM_EXIT_IO || run->io.port != PORT ||
		    run->io.direction != dir || run->io.size != size ||
		    !run->io.count) {
			pr_info("exit %s dir %u size %u port %#x count %u",
				exit_reason_str(run->exit_reason),
				run->io.direction, run->io.size,
				run->io.port, run->io.count);
			return false;
		}
		n = (size_t)size * run->io.count;
		if (run->io.data_offset < sizeof(*run) ||
		    run->io.data_offset + n > vcpu->run_size ||
		    done + n > len) {
			pr_info("count %u at data_offset %#llx: out of range",
				run->io.count,
				(unsigned long long)run->io.data_offset);
			return false;
		}
		if (dir == KVM_EXIT_IO_OUT)
			memcpy(stream + done, vcpu_io_data(vcpu), n);
		else
			memcpy(vcpu_io_data(vcpu), stream + done, n);
		done += n;
		(*exits)++;
	}
	if (done != len)
		pr_info("%zu bytes of I/O, expected %zu", done, len);
	return done == len;
}

static void test_string_io(void)
{
	static const char *const names[] = {
		NULL, "outsb", "outsw", "outsd", "insb", "insd",
		"outsb_backwards", "insb_backwards",
	};
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	uint8_t stream[NR_BYTES], want[NR_BYTES];
	struct ucall uc;
	unsigned int stage, i, exits;

	/* One guest runs every stage in turn: all or nothing. */
	if (kvmm_gap("string_io")) {
		for (stage = 1; stage <= 7; stage++)
			kvmm_gap_skip("string_io", "%s", names[stage]);
		kvmm_gap_skip("string_io", "rep_count_zero");
		return;
	}

	for (i = 0; i < NR_BYTES; i++)
		out_buf[i] = 0x80 + i;
	vm = vm_create_with_one_vcpu(&vcpu, guest_string_io);

	for (stage = 1; stage <= 7; stage++) {
		bool out = stage <= 3 || stage == 6;
		uint8_t size = stage == 2 ? 2 : (stage == 3 || stage == 5) ? 4 : 1;
		bool ok;

		memset(stream, 0, sizeof(stream));
		if (!out) {
			for (i = 0; i < NR_BYTES; i++)
				stream[i] = 0x10 * stage + i;
		}
		ok = run_string(vcpu, out ? KVM_EXIT_IO_OUT : KVM_EXIT_IO_IN,
				size, stream, NR_BYTES, &exits);
		/* Stopped at a ucall: it must be the stage's sync. */
		if (get_ucall(vcpu, &uc) == UCALL_ABORT)
			REPORT_GUEST_ASSERT(vcpu, uc);
		TEST_ASSERT(uc.cmd == UCALL_SYNC && uc.args[0] == stage,
			    "stage %u: guest out of step (ucall %llu)", stage,
			    (unsigned long long)uc.cmd);

		for (i = 0; i < NR_BYTES; i++)
			want[i] = stage == 6 ? out_buf[NR_BYTES - 1 - i] :
						out_buf[i];
		if (out) {
			ok = ok && !memcmp(stream, want, NR_BYTES);
		} else {
			sync_global_from_guest(vm, in_buf);
			for (i = 0; i < NR_BYTES; i++)
				want[i] = stage == 7 ?
					  stream[NR_BYTES - 1 - i] : stream[i];
			ok = ok && !memcmp(in_buf, want, NR_BYTES);
		}
		pr_info("%s: %u exit(s)", names[stage], exits);
		ksft_test_result(ok, "%s", names[stage]);
	}
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
	ksft_test_result_pass("rep_count_zero");
}

int main(void)
{
	ksft_print_header();
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_USER_MEMORY));
	kvm_vm_free(vm_create_barebones());

	ksft_set_plan(8);
	test_string_io();
	ksft_finished();
}
