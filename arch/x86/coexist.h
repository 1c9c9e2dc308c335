/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _KVMM_X86_COEXIST_H
#define _KVMM_X86_COEXIST_H

int kvmm_coexist_init(void);
void kvmm_coexist_exit(void);

#endif
