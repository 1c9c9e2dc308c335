/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KVM_RUN on another thread, for tests that must not be held by a run
 * that does not return (a guest left spinning by a bug, a run racing a
 * close): start it, wait for it with a bound, kick it out with SIGUSR1.
 * runner_setup_kick() installs the (empty) SIGUSR1 handler first, so the
 * signal ends KVM_RUN with EINTR instead of the process.
 */
#ifndef KVMM_SELFTEST_VCPU_RUNNER_H
#define KVMM_SELFTEST_VCPU_RUNNER_H

#include <pthread.h>
#include <stdbool.h>

/* A KVM_RUN that is still running this long after the first kick hangs. */
#define HANG_MS		10000

struct runner {
	pthread_t thread;
	int fd;
	int ret;	/* KVM_RUN's return value, once done */
	int err;	/* and its errno */
	int done;
};

void runner_setup_kick(void);
void runner_start(struct runner *r, int vcpu_fd);
bool runner_done(struct runner *r);
/* Wait up to @ms for @r to return by itself. */
bool runner_wait(struct runner *r, unsigned int ms);
/*
 * Kick every runner still in KVM_RUN until all have returned, then join
 * them.  One that is still running HANG_MS after the first kick ends the
 * test (its thread cannot be taken back).
 */
void runners_kick_and_join(struct runner *r, unsigned int n);

#endif /* KVMM_SELFTEST_VCPU_RUNNER_H */
