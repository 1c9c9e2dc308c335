/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KVM_RUN on another thread, for tests that must not be held by a run
 * that does not return (a guest left spinning by a bug, a run racing a
 * close): start it, wait for it with a bound, kick it out with SIGUSR1.
 * runner_setup_kick() installs the SIGUSR1 handler first (it only counts,
 * in sigusr1_count), so the signal ends KVM_RUN with EINTR instead of the
 * process.
 *
 * And the other way round, for tests of how a signal ends KVM_RUN: the
 * run on the calling thread, a kicker thread that signals it
 * (vcpu_run_kicked()).
 */
#ifndef KVMM_SELFTEST_VCPU_RUNNER_H
#define KVMM_SELFTEST_VCPU_RUNNER_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

struct kvm_vcpu;

/* A KVM_RUN that is still running this long after the first kick hangs. */
#define HANG_MS		10000

struct runner {
	pthread_t thread;
	int fd;
	int ret;	/* KVM_RUN's return value, once done */
	int err;	/* and its errno */
	int done;
};

/* SIGUSR1s taken by runner_setup_kick()'s handler, on any thread. */
extern volatile sig_atomic_t sigusr1_count;

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

/*
 * What a kicker thread does to the thread in KVM_RUN: SIGUSR1 after
 * delay_ms; then, if @release is set, 1 stored there after release_ms
 * more (a flag in guest memory that lets a spinning guest go on, for a
 * run the signal did not end).
 */
struct kicker {
	pthread_t target;		/* set by vcpu_run_kicked() */
	unsigned int delay_ms;
	volatile uint64_t *release;	/* host address, or NULL */
	unsigned int release_ms;
};

/*
 * KVM_RUN of @vcpu on the calling thread with a kicker doing @k to it,
 * sigusr1_count reset first (runner_setup_kick() must have run).  Returns
 * once the kicker is done too: KVM_RUN's result, its errno in *@err.
 */
int vcpu_run_kicked(struct kvm_vcpu *vcpu, struct kicker *k, int *err);

#endif /* KVMM_SELFTEST_VCPU_RUNNER_H */
