// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/debug/kvmm/: what kvmm counts about itself.
 *
 *   allocations   "objects <n> bytes <n>": outstanding accounted allocations
 *
 * debugfs may be absent or locked down; kvmm works without it.
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include <kvmm/kvmm.h>

static struct dentry *kvmm_debugfs_dir;

static int kvmm_allocations_show(struct seq_file *m, void *unused)
{
	long objects, bytes;

	kvmm_alloc_counts(&objects, &bytes);
	seq_printf(m, "objects %ld bytes %ld\n", objects, bytes);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(kvmm_allocations);

int kvmm_debugfs_init(void)
{
	kvmm_debugfs_dir = debugfs_create_dir("kvmm", NULL);
	debugfs_create_file("allocations", 0444, kvmm_debugfs_dir, NULL,
			    &kvmm_allocations_fops);
	return 0;
}

void kvmm_debugfs_exit(void)
{
	debugfs_remove(kvmm_debugfs_dir);
	kvmm_debugfs_dir = NULL;
}
