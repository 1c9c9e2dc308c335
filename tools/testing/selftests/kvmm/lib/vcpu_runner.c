// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_RUN on another thread, bounded, or on this one, kicked from another
 * (vcpu_runner.h).
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#include "ktap.h"
#include "kvm_util.h"
#include "test_util.h"
#include "vcpu_runner.h"

volatile sig_atomic_t sigusr1_count;

static void sigusr1_handler(int sig)
{
	(void)sig;
	sigusr1_count++;
}

/* No SA_RESTART: KVM_RUN must come back with EINTR. */
void runner_setup_kick(void)
{
	struct sigaction sa = { .sa_handler = sigusr1_handler };

	sigemptyset(&sa.sa_mask);
	TEST_ASSERT(!sigaction(SIGUSR1, &sa, NULL), "sigaction failed");
}

static void *runner_fn(void *arg)
{
	struct runner *r = arg;

	r->ret = ioctl(r->fd, KVM_RUN, 0);
	r->err = errno;
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

void runner_start(struct runner *r, int vcpu_fd)
{
	memset(r, 0, sizeof(*r));
	r->fd = vcpu_fd;
	TEST_ASSERT(!pthread_create(&r->thread, NULL, runner_fn, r),
		    "pthread_create failed");
}

bool runner_done(struct runner *r)
{
	return __atomic_load_n(&r->done, __ATOMIC_ACQUIRE);
}

bool runner_wait(struct runner *r, unsigned int ms)
{
	uint64_t start = now_ns();

	while (!runner_done(r) && elapsed_s(start) * 1000 < ms)
		msleep(1);
	return runner_done(r);
}

void runners_kick_and_join(struct runner *r, unsigned int n)
{
	uint64_t start = now_ns();
	unsigned int i, left;

	for (;;) {
		left = 0;
		for (i = 0; i < n; i++) {
			if (runner_done(&r[i]))
				continue;
			left++;
			pthread_kill(r[i].thread, SIGUSR1);
		}
		if (!left)
			break;
		if (elapsed_s(start) * 1000 > HANG_MS)
			ksft_exit_fail_msg("%u KVM_RUN thread(s) still running %u ms after the first kick",
					   left, HANG_MS);
		msleep(5);
	}
	for (i = 0; i < n; i++)
		pthread_join(r[i].thread, NULL);
}

static void *kicker_fn(void *arg)
{
	struct kicker *k = arg;

	msleep(k->delay_ms);
	pthread_kill(k->target, SIGUSR1);
	if (k->release) {
		msleep(k->release_ms);
		*k->release = 1;
	}
	return NULL;
}

int vcpu_run_kicked(struct kvm_vcpu *vcpu, struct kicker *k, int *err)
{
	pthread_t t;
	int ret;

	k->target = pthread_self();
	sigusr1_count = 0;
	TEST_ASSERT(!pthread_create(&t, NULL, kicker_fn, k),
		    "pthread_create failed");
	ret = _vcpu_run(vcpu);
	*err = errno;
	pthread_join(t, NULL);
	return ret;
}
