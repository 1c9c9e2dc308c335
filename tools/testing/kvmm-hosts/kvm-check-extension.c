// SPDX-License-Identifier: GPL-2.0
/*
 * kvm-check-extension NUMBER...: print KVM_CHECK_EXTENSION's answer on
 * /dev/kvm for each capability number, one per line.  The scenarios use it
 * to tell "the hypervisor does not offer what QEMU needs yet" (skip) from
 * "it offers it and QEMU still fails" (fail).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

int main(int argc, char **argv)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int i;

	if (fd < 0) {
		perror("/dev/kvm");
		return 1;
	}
	for (i = 1; i < argc; i++)
		printf("%s %d\n", argv[i],
		       ioctl(fd, KVM_CHECK_EXTENSION, strtoul(argv[i], NULL, 0)));
	return 0;
}
