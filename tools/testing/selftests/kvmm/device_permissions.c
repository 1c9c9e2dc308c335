// SPDX-License-Identifier: GPL-2.0
/*
 * device_permissions: the device node and who may open it.
 *
 * Both hypervisors register a misc device with minor 232 (KVM_MINOR), so the
 * node is char 10:232.  devtmpfs creates it with the mode the driver asks
 * for: kvmm asks for 0660, Linux KVM leaves the default 0600.  Distributions
 * hand /dev/kvm to a group with a udev rule (owner root:kvm, mode 0660); with
 * no udev in the test host, the test applies that rule itself and checks that
 * a member of the group can open and use the device and that anyone else
 * gets EACCES.  kvmm mode also checks the "devname" module parameter, which
 * renames the node.
 */
#include <grp.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "host_util.h"
#include "kvm_util.h"
#include "kvmm_env.h"

/* Ids for the emulated udev rule; any values work without /etc/group. */
#define TEST_GID	2320	/* the "kvm" group */
#define TEST_UID	1000	/* a user in it */
#define OTHER_GID	2321
#define OTHER_UID	1001

#define DEVNAME_PARAM	"kvmm-test"
#define DEVNAME_PATH	"/dev/" DEVNAME_PARAM

/* Enough for devtmpfs to add or remove a node after (un)loading. */
#define NODE_WAIT_MS	2000

struct node_attrs {
	const char *path;
	uid_t uid;
	gid_t gid;
	mode_t mode;
};

static struct node_attrs saved;

static bool is_kvm_node(const char *path, struct stat *st)
{
	return !stat(path, st) && S_ISCHR(st->st_mode) &&
	       major(st->st_rdev) == KVM_MISC_MAJOR &&
	       minor(st->st_rdev) == KVM_MINOR;
}

static void describe_node(const char *path)
{
	struct stat st;

	if (stat(path, &st)) {
		pr_info("%s: %s", path, errno_name(errno));
		return;
	}
	pr_info("%s: %s %u:%u mode %04o owner %u:%u", path,
		S_ISCHR(st.st_mode) ? "char" : "not a char device",
		major(st.st_rdev), minor(st.st_rdev), st.st_mode & 07777,
		st.st_uid, st.st_gid);
}

static void test_node_type(const char *path)
{
	struct stat st;
	bool ok = is_kvm_node(path, &st);

	if (!ok)
		describe_node(path);
	ksft_test_result(ok, "node_is_char_10_232");
}

static void test_devtmpfs_mode(const char *path, enum test_mode mode)
{
	struct stat st;
	bool ok;

	if (mode == TEST_MODE_REF) {
		ksft_test_result_skip("devtmpfs_mode_0660",
				      "kvmm's mode; the reference's devtmpfs node is 0600");
		return;
	}
	if (mode != TEST_MODE_KVMM) {
		ksft_test_result_skip("devtmpfs_mode_0660",
				      "KVMM_MODE not set (and udev may own the node)");
		return;
	}
	ok = !stat(path, &st) && (st.st_mode & 07777) == 0660 &&
	     st.st_uid == 0 && st.st_gid == 0;
	if (!ok)
		describe_node(path);
	ksft_test_result(ok, "devtmpfs_mode_0660");
}

/* What a child saw; @stage names the step that failed, if any. */
struct child_report {
	const char *stage;
	int err;
	int api;
};

/*
 * In a child, become @uid with primary and only group @gid (dropping every
 * capability, as any setuid to non-root does), then open @path O_RDWR and
 * ask for the API version.
 */
static struct child_report open_as(const char *path, uid_t uid, gid_t gid)
{
	struct child_report rep = { .stage = "fork", .err = 0, .api = -1 };
	int pipefd[2], status;
	pid_t pid;
	ssize_t r;

	TEST_ASSERT(!pipe(pipefd), "pipe");
	fflush(stdout);
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (!pid) {
		int fd;

		close(pipefd[0]);
		rep.stage = "setgroups";
		if (setgroups(1, &gid))
			goto report;
		rep.stage = "setgid";
		if (setgid(gid))
			goto report;
		rep.stage = "setuid";
		if (setuid(uid))
			goto report;
		rep.stage = "open";
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			goto report;
		rep.stage = "KVM_GET_API_VERSION";
		rep.api = __kvm_ioctl(fd, KVM_GET_API_VERSION, 0);
		if (rep.api < 0)
			goto report;
		rep.stage = NULL;
		errno = 0;
report:
		rep.err = errno;
		/* stage points into the child's copy of the same binary. */
		r = write(pipefd[1], &rep, sizeof(rep));
		_exit(r == sizeof(rep) ? 0 : 1);
	}
	close(pipefd[1]);
	r = read(pipefd[0], &rep, sizeof(rep));
	close(pipefd[0]);
	TEST_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid");
	TEST_ASSERT(r == sizeof(rep) && WIFEXITED(status) &&
		    !WEXITSTATUS(status),
		    "child (uid %u gid %u) did not report", uid, gid);
	return rep;
}

static void restore_node(void *arg)
{
	struct node_attrs *a = arg;

	if (chown(a->path, a->uid, a->gid) || chmod(a->path, a->mode))
		pr_info("restoring %s to %u:%u %04o failed: %s", a->path,
			a->uid, a->gid, a->mode, errno_name(errno));
}

static void test_udev_rule(const char *path)
{
	struct child_report rep;
	struct stat st;
	bool ok;

	if (geteuid()) {
		ksft_test_result_skip("group_member_opens",
				      "needs root to change the node's owner");
		ksft_test_result_skip("other_user_eacces", "needs root");
		ksft_test_result_skip("owner_mode_restored", "needs root");
		return;
	}

	TEST_ASSERT(!stat(path, &st), "stat(%s)", path);
	saved = (struct node_attrs){
		.path = path,
		.uid = st.st_uid,
		.gid = st.st_gid,
		.mode = st.st_mode & 07777,
	};
	test_cleanup_push(restore_node, &saved);

	/* What a "KERNEL==\"kvm\", GROUP=\"kvm\", MODE=\"0660\"" rule does. */
	TEST_ASSERT(!chown(path, 0, TEST_GID), "chown(%s, 0, %d)", path,
		    TEST_GID);
	TEST_ASSERT(!chmod(path, 0660), "chmod(%s, 0660)", path);

	rep = open_as(path, TEST_UID, TEST_GID);
	ok = !rep.stage && rep.api == KVM_API_VERSION;
	if (!ok)
		pr_info("uid %d gid %d: %s failed: %s (api %d)", TEST_UID,
			TEST_GID, rep.stage ?: "check", errno_name(rep.err),
			rep.api);
	ksft_test_result(ok, "group_member_opens");

	rep = open_as(path, OTHER_UID, OTHER_GID);
	ok = rep.stage && !strcmp(rep.stage, "open") && rep.err == EACCES;
	if (!ok)
		pr_info("uid %d gid %d: expected open to fail with EACCES, got %s at %s",
			OTHER_UID, OTHER_GID, errno_name(rep.err),
			rep.stage ?: "(no failure)");
	ksft_test_result(ok, "other_user_eacces");

	test_cleanup_pop(true);
	ok = !stat(path, &st) && st.st_uid == saved.uid &&
	     st.st_gid == saved.gid && (st.st_mode & 07777) == saved.mode;
	if (!ok)
		describe_node(path);
	ksft_test_result(ok, "owner_mode_restored");
}

/* Is kvmm loaded with devname=DEVNAME_PARAM right now? */
static bool loaded_with_devname;

/*
 * Undo a half-done devname check: unload kvmm if it is loaded under the
 * test name (or loaded without its usual node), then load it as the runner
 * had it.
 */
static void restore_devname(void *arg)
{
	const char *path = arg;
	struct stat st;

	if (module_is_loaded(KVMM_MODULE_NAME) &&
	    (loaded_with_devname || stat(path, &st))) {
		int ret = module_unload(KVMM_MODULE_NAME);

		if (ret)
			pr_info("restore: unloading kvmm failed: %s",
				errno_name(-ret));
	}
	loaded_with_devname = false;
	hv_restore();
}

#define CHECK(cond, fmt, ...)						\
do {									\
	if (!(cond)) {							\
		pr_info(fmt, ##__VA_ARGS__);				\
		goto out;						\
	}								\
} while (0)

static void test_devname_param(const char *path, enum test_mode mode)
{
	const char *ko = kvmm_module_path();
	struct stat st;
	bool ok = false;
	int ret, fd;

	if (mode != TEST_MODE_KVMM) {
		ksft_test_result_skip("devname_param",
				      "kvmm's module parameter; %s",
				      mode == TEST_MODE_REF ?
				      "the reference has none" :
				      "KVMM_MODE not set");
		return;
	}
	if (geteuid() || !ko || !file_exists(ko) ||
	    !module_is_loaded(KVMM_MODULE_NAME)) {
		ksft_test_result_skip("devname_param",
				      "needs root, KVMM_MODULE and kvmm loaded");
		return;
	}

	test_cleanup_push(restore_devname, (void *)path);

	ret = module_unload(KVMM_MODULE_NAME);
	CHECK(!ret, "unloading kvmm failed: %s", errno_name(-ret));
	CHECK(wait_for_path(path, false, NODE_WAIT_MS),
	      "%s still present after unloading kvmm", path);

	ret = module_load(ko, "devname=" DEVNAME_PARAM);
	CHECK(!ret, "loading kvmm devname=%s failed: %s", DEVNAME_PARAM,
	      errno_name(-ret));
	loaded_with_devname = true;
	CHECK(wait_for_path(DEVNAME_PATH, true, NODE_WAIT_MS),
	      "%s did not appear", DEVNAME_PATH);
	if (!is_kvm_node(DEVNAME_PATH, &st))
		describe_node(DEVNAME_PATH);
	CHECK(is_kvm_node(DEVNAME_PATH, &st), "%s is not char 10:232",
	      DEVNAME_PATH);
	CHECK(stat(path, &st) && errno == ENOENT,
	      "%s exists while kvmm is loaded with devname=%s", path,
	      DEVNAME_PARAM);

	fd = open(DEVNAME_PATH, O_RDWR | O_CLOEXEC);
	CHECK(fd >= 0, "open(%s): %s", DEVNAME_PATH, errno_name(errno));
	ret = __kvm_ioctl(fd, KVM_GET_API_VERSION, 0);
	close(fd);
	CHECK(ret == KVM_API_VERSION, "KVM_GET_API_VERSION via %s: %d",
	      DEVNAME_PATH, ret);

	ret = module_unload(KVMM_MODULE_NAME);
	CHECK(!ret, "unloading kvmm (devname=%s) failed: %s", DEVNAME_PARAM,
	      errno_name(-ret));
	loaded_with_devname = false;
	CHECK(wait_for_path(DEVNAME_PATH, false, NODE_WAIT_MS),
	      "%s still present after unloading kvmm", DEVNAME_PATH);

	ret = module_load(ko, NULL);
	CHECK(!ret, "reloading kvmm failed: %s", errno_name(-ret));
	CHECK(wait_for_path(path, true, NODE_WAIT_MS) && is_kvm_node(path, &st),
	      "%s not back as char 10:232 after reloading kvmm", path);
	ok = true;
out:
	test_cleanup_pop(true);
	ksft_test_result(ok, "devname_param");
}

int main(void)
{
	enum test_mode mode;
	const char *path;
	int fd;

	ksft_print_header();
	mode = test_mode();
	path = kvm_dev_path();
	/* Skips the whole test when there is no device (nothing loaded). */
	fd = open_kvm_dev_path_or_exit();
	close(fd);
	describe_node(path);

	ksft_set_plan(6);
	test_node_type(path);
	test_devtmpfs_mode(path, mode);
	test_udev_rule(path);
	test_devname_param(path, mode);

	ksft_finished();
}
