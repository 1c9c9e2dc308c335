// SPDX-License-Identifier: GPL-2.0
/*
 * Accounted allocations.
 *
 * Every long-lived object kvmm allocates goes through these helpers, which
 * keep a count of outstanding objects and bytes.  The counts are visible in
 * debugfs (kvmm/allocations) and must be zero when the module unloads;
 * anything else is reported as an internal error, which fails the tests.
 * The bookkeeping is two atomics per call: cheap enough to stay on in
 * production builds.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include <kvmm/kvmm.h>

static atomic_long_t kvmm_alloc_objects = ATOMIC_LONG_INIT(0);
static atomic_long_t kvmm_alloc_bytes = ATOMIC_LONG_INIT(0);

static void kvmm_account(long objects, long bytes)
{
	atomic_long_add(objects, &kvmm_alloc_objects);
	atomic_long_add(bytes, &kvmm_alloc_bytes);
}

void *kvmm_zalloc(size_t size, gfp_t gfp)
{
	void *p = kzalloc(size, gfp);

	if (p)
		kvmm_account(1, ksize(p));
	return p;
}

void kvmm_free(const void *ptr)
{
	if (!ptr)
		return;
	kvmm_account(-1, -(long)ksize(ptr));
	kfree(ptr);
}

struct page *kvmm_alloc_page(gfp_t gfp)
{
	struct page *page = alloc_page(gfp | __GFP_ZERO);

	if (page)
		kvmm_account(1, PAGE_SIZE);
	return page;
}

void kvmm_free_page(struct page *page)
{
	if (!page)
		return;
	kvmm_account(-1, -(long)PAGE_SIZE);
	__free_page(page);
}

struct page *kvmm_alloc_pages(gfp_t gfp, unsigned int order)
{
	struct page *page = alloc_pages(gfp | __GFP_ZERO, order);

	if (page)
		kvmm_account(1, PAGE_SIZE << order);
	return page;
}

void kvmm_free_pages(struct page *page, unsigned int order)
{
	if (!page)
		return;
	kvmm_account(-1, -(long)(PAGE_SIZE << order));
	__free_pages(page, order);
}

/*
 * Zeroed memory that may be too large for kmalloc (vmalloc'ed then):
 * dirty bitmaps, up to 512 MiB for the largest slot.  The caller hands
 * the size back to kvmm_kvfree(), as vmalloc'ed memory has no ksize().
 */
void *kvmm_kvzalloc(size_t size, gfp_t gfp)
{
	void *p = kvzalloc(size, gfp);

	if (p)
		kvmm_account(1, size);
	return p;
}

void kvmm_kvfree(const void *ptr, size_t size)
{
	if (!ptr)
		return;
	kvmm_account(-1, -(long)size);
	kvfree(ptr);
}

void kvmm_alloc_counts(long *objects, long *bytes)
{
	*objects = atomic_long_read(&kvmm_alloc_objects);
	*bytes = atomic_long_read(&kvmm_alloc_bytes);
}

int kvmm_alloc_check_leaks(void)
{
	long objects, bytes;

	kvmm_alloc_counts(&objects, &bytes);
	if (!objects && !bytes)
		return 0;
	kvmm_internal_error("%ld allocations (%ld bytes) leaked\n",
			    objects, bytes);
	return -EIO;
}
