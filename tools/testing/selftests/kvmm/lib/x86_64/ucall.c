// SPDX-License-Identifier: GPL-2.0
/*
 * ucall over UCALL_PIO_PORT: the guest side (runs in the guest, no libc)
 * and the host side (decoding the exit, reporting guest assertions).
 */
#include "processor.h"

void ucall(uint64_t cmd, int nargs, ...)
{
	struct ucall uc;
	va_list ap;
	int i;

	uc.cmd = cmd;
	if (nargs > UCALL_MAX_ARGS)
		nargs = UCALL_MAX_ARGS;
	va_start(ap, nargs);
	for (i = 0; i < nargs; i++)
		uc.args[i] = va_arg(ap, uint64_t);
	va_end(ap);
	for (; i < UCALL_MAX_ARGS; i++)
		uc.args[i] = 0;

	/*
	 * The structure lives on the guest stack, below 4 GiB, so its GVA
	 * fits the 32-bit OUT.  RDI carries it too, for a debugger.  The
	 * memory clobber makes the stores happen before the exit.
	 */
	__asm__ __volatile__("outl %%eax, %%dx"
			     : : "a"((uint32_t)(uintptr_t)&uc),
			       "d"((uint16_t)UCALL_PIO_PORT), "D"(&uc)
			     : "memory");
}

uint64_t get_ucall(struct kvm_vcpu *vcpu, struct ucall *uc)
{
	struct kvm_run *run = vcpu->run;
	struct ucall tmp;
	uint32_t gva;

	if (uc)
		memset(uc, 0, sizeof(*uc));
	if (run->exit_reason != KVM_EXIT_IO ||
	    run->io.port != UCALL_PIO_PORT ||
	    run->io.direction != KVM_EXIT_IO_OUT || run->io.size != 4 ||
	    run->io.count != 1)
		return UCALL_NONE;
	memcpy(&gva, vcpu_io_data(vcpu), sizeof(gva));
	memcpy(&tmp, addr_gva2hva(vcpu->vm, gva), sizeof(tmp));
	if (uc)
		*uc = tmp;
	return tmp.cmd;
}

const char *guest_string(struct kvm_vcpu *vcpu, uint64_t gva, char *buf,
			 size_t size)
{
	size_t i;

	for (i = 0; i + 1 < size; i++) {
		/* Page tables walked per byte: strings are short. */
		char c = *(char *)addr_gva2hva(vcpu->vm, gva + i);

		buf[i] = c;
		if (!c)
			return buf;
	}
	buf[i] = '\0';
	return buf;
}

void ucall_describe(struct kvm_vcpu *vcpu, const struct ucall *uc, char *buf,
		    size_t size)
{
	char expr[160], file[96];
	uint64_t nr, i;
	int n;

	if (uc->cmd == UCALL_UNHANDLED) {
		snprintf(buf, size,
			 "guest: unhandled exception vector %llu, error code %#llx, at rip %#llx",
			 (unsigned long long)uc->args[0],
			 (unsigned long long)uc->args[1],
			 (unsigned long long)uc->args[2]);
		return;
	}
	if (uc->cmd != UCALL_ABORT) {
		snprintf(buf, size, "guest: ucall %llu (not an abort)",
			 (unsigned long long)uc->cmd);
		return;
	}
	guest_string(vcpu, uc->args[GUEST_ASSERT_EXPR], expr, sizeof(expr));
	guest_string(vcpu, uc->args[GUEST_ASSERT_FILE], file, sizeof(file));
	n = snprintf(buf, size, "%s:%llu: guest assertion failed: %s", file,
		     (unsigned long long)uc->args[GUEST_ASSERT_LINE], expr);
	nr = uc->args[GUEST_ASSERT_NR_VALUES];
	for (i = 0; i < nr && GUEST_ASSERT_VALUE0 + i < UCALL_MAX_ARGS; i++) {
		uint64_t v = uc->args[GUEST_ASSERT_VALUE0 + i];

		if (n < 0 || (size_t)n >= size)
			return;
		n += snprintf(buf + n, size - n, "%s %#llx (%lld)",
			      i ? "," : "; values", (unsigned long long)v,
			      (long long)v);
	}
}

uint64_t vcpu_run_ucall(struct kvm_vcpu *vcpu, struct ucall *uc)
{
	struct ucall tmp;
	uint64_t cmd;

	if (!uc)
		uc = &tmp;
	for (;;) {
		vcpu_run(vcpu);
		cmd = get_ucall(vcpu, uc);
		if (cmd != UCALL_PRINT)
			break;
		{
			char s[256];

			pr_info("guest: %s", guest_string(vcpu, uc->args[0],
							  s, sizeof(s)));
		}
	}
	switch (cmd) {
	case UCALL_ABORT:
	case UCALL_UNHANDLED:
		REPORT_GUEST_ASSERT(vcpu, *uc);
	case UCALL_NONE: {
		struct kvm_run *run = vcpu->run;

		TEST_FAIL("expected a ucall, got exit %s (io port %#x size %u dir %u, mmio addr %#llx)",
			  exit_reason_str(run->exit_reason), run->io.port,
			  run->io.size, run->io.direction,
			  (unsigned long long)run->mmio.phys_addr);
	}
	}
	return cmd;
}

struct ucall vcpu_run_expect_sync(struct kvm_vcpu *vcpu, uint64_t stage)
{
	struct ucall uc;
	uint64_t cmd = vcpu_run_ucall(vcpu, &uc);

	TEST_ASSERT(cmd == UCALL_SYNC, "expected GUEST_SYNC(%llu), got ucall %llu",
		    (unsigned long long)stage, (unsigned long long)cmd);
	TEST_ASSERT(uc.args[0] == stage,
		    "expected GUEST_SYNC(%llu), got GUEST_SYNC(%llu)",
		    (unsigned long long)stage,
		    (unsigned long long)uc.args[0]);
	return uc;
}

void vcpu_run_expect_done(struct kvm_vcpu *vcpu)
{
	uint64_t cmd = vcpu_run_ucall(vcpu, NULL);

	TEST_ASSERT(cmd == UCALL_DONE, "expected GUEST_DONE(), got ucall %llu",
		    (unsigned long long)cmd);
}
