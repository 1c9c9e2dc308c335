/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SVM tracepoints, in tracefs under events/kvmm/.
 *
 * kvmm_inj_event: the EVENTINJ value written for a VMRUN (APM vol. 2,
 * 15.20), raw, so that a host-side check can hold it against the
 * manual's layout.  The emulated test hosts cannot show every bit of it
 * to a guest (QEMU pushes an exception's error code whether EV is set
 * or not); Documentation/testing.rst says what checks it instead.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM kvmm

#if !defined(KVMM_SVM_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define KVMM_SVM_TRACE_H

#include <linux/tracepoint.h>

TRACE_EVENT(kvmm_inj_event,
	TP_PROTO(u32 vcpu_id, u64 event_inj),
	TP_ARGS(vcpu_id, event_inj),

	TP_STRUCT__entry(
		__field(u32, vcpu_id)
		__field(u64, event_inj)
	),

	TP_fast_assign(
		__entry->vcpu_id = vcpu_id;
		__entry->event_inj = event_inj;
	),

	/* Fields of EVENTINJ: VECTOR 7:0, TYPE 10:8, EV 11, V 31, ERRORCODE 63:32. */
	TP_printk("vcpu %u event_inj %#llx vector %llu type %llu ev %llu errorcode %#llx",
		  __entry->vcpu_id, __entry->event_inj,
		  __entry->event_inj & 0xff, (__entry->event_inj >> 8) & 7,
		  (__entry->event_inj >> 11) & 1, __entry->event_inj >> 32)
);

#endif /* KVMM_SVM_TRACE_H */

/* Out of tree: define_trace.h finds this file through -I (Kbuild). */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
