// SPDX-License-Identifier: GPL-2.0
/*
 * kvmm_demo: the smallest complete VMM, for `make run`.  It uses only
 * <linux/kvm.h> and raw ioctls, so it also reads as an example of the ABI:
 * a 64-KiB real-mode guest writes a greeting to port 0x3f8 one byte at a
 * time (each OUT is a KVM_EXIT_IO), then halts (KVM_EXIT_HLT).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/kvm.h>

#define MEM_SIZE	0x10000
#define CODE_GPA	0x1000
#define PORT		0x3f8

static void die(const char *what)
{
	fprintf(stderr, "kvmm_demo: %s: %s\n", what, strerror(errno));
	exit(1);
}

int main(void)
{
	/*
	 *	mov si, msg	; BE lo hi
	 *	mov dx, 0x3f8	; BA F8 03
	 * next: lodsb		; AC
	 *	test al, al	; 84 C0
	 *	jz done		; 74 03
	 *	out dx, al	; EE
	 *	jmp next	; EB F8
	 * done: hlt		; F4
	 * msg:	db "...", 0
	 */
	static const char msg[] = "Hello from a tiny real-mode guest!\n";
	unsigned char code[64] = {
		0xbe, 0, 0, 0xba, 0xf8, 0x03, 0xac, 0x84, 0xc0, 0x74, 0x03,
		0xee, 0xeb, 0xf8, 0xf4,
	};
	struct kvm_userspace_memory_region region = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = MEM_SIZE,
	};
	unsigned int code_len = 15, msg_gpa = CODE_GPA + code_len;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_run *run;
	int kvm, vm, vcpu, size;
	unsigned char *mem;

	code[1] = msg_gpa & 0xff;
	code[2] = msg_gpa >> 8;
	memcpy(code + code_len, msg, sizeof(msg));

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		die("open /dev/kvm");
	printf("KVM_GET_API_VERSION: %d\n", ioctl(kvm, KVM_GET_API_VERSION, 0));
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0 && errno == ENODEV) {
		/* kvmm's answer where its backend cannot run guests yet. */
		printf("KVM_CREATE_VM: this host cannot run guests yet (see dmesg)\n");
		return 4;
	}
	if (vm < 0)
		die("KVM_CREATE_VM");

	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		die("mmap");
	memcpy(mem + CODE_GPA, code, sizeof(code));
	region.userspace_addr = (unsigned long)mem;
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region))
		die("KVM_SET_USER_MEMORY_REGION");

	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		die("KVM_CREATE_VCPU");
	size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < (int)sizeof(*run))
		die("KVM_GET_VCPU_MMAP_SIZE");
	run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		die("mmap vcpu");

	/* Real mode, CS:IP = 0:CODE_GPA. */
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs))
		die("KVM_GET_SREGS");
	sregs.cs.selector = 0;
	sregs.cs.base = 0;
	sregs.ds = sregs.cs;
	sregs.ds.type = 3;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs))
		die("KVM_SET_SREGS");
	memset(&regs, 0, sizeof(regs));
	regs.rip = CODE_GPA;
	regs.rflags = 2;
	if (ioctl(vcpu, KVM_SET_REGS, &regs))
		die("KVM_SET_REGS");

	printf("guest says: ");
	for (;;) {
		if (ioctl(vcpu, KVM_RUN, 0))
			die("KVM_RUN");
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			if (run->io.direction == KVM_EXIT_IO_OUT &&
			    run->io.port == PORT)
				putchar(*((char *)run + run->io.data_offset));
			continue;
		case KVM_EXIT_HLT:
			printf("guest halted: KVM_EXIT_HLT\n");
			return 0;
		default:
			fprintf(stderr, "kvmm_demo: unexpected exit %u\n",
				run->exit_reason);
			return 1;
		}
	}
}
