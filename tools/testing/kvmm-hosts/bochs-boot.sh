#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot a Linux kernel + initramfs as an Intel VMX test host under Bochs.
#
# Bochs is the emulator here that implements VMX in software. It has no
# direct kernel boot, and it is slow (some 50 million instructions per
# second), which shapes everything below:
#
# - PVH boot (default). Unpacking the XZ-compressed Debian bzImage inside
#   Bochs costs ~4.5 billion instructions (~85 s), and GRUB copies every
#   byte it loads through the BIOS with a byte-wise memmove (~0.3 s/MB).
#   So the kernel is unpacked here on the build machine, and a small
#   loader in the boot sector of a raw disk image reads the flat kernel and
#   the initrd through BIOS int 13h straight to their places, then enters
#   the kernel at its PVH entry point (CONFIG_PVH, the one QEMU and
#   Firecracker use for an ELF vmlinux). Needs binutils (as, ld, objcopy)
#   and the kernel's decompressor (xz for Debian). The kernel runs at its
#   link address: no KASLR.
# - bzImage boot (--bzimage, or when the kernel cannot be booted through
#   PVH): a GRUB rescue ISO on an emulated CD-ROM, kernel unpacked by
#   itself.
#
# Bochs's option to preload files into guest RAM (optramimage) cannot
# replace the loader: Bochs 2.7 maps guest RAM in 128 KiB blocks on first
# touch, and optramimage writes a file into host memory as if the blocks
# were contiguous, so only its first 128 KiB land where asked.
#
# The guest's serial console goes to SERIAL_LOG; its init prints
# KVMM-HOST-POWEROFF right before `poweroff -f`, and Bochs quits by itself
# at ACPI S5.
#
# Exit status: 0   the host powered off / printed KVMM-HOST-POWEROFF
#              124 timeout (Bochs killed)
#              3   the host reset before the sentinel (kernel panic with
#                  panic=-1, triple fault, reboot, loader failure)
#              2   usage error
#              1   setup failed, or Bochs failed to start or died

set -u

prog=bochs-boot
sentinel=KVMM-HOST-POWEROFF
# Printed by the loader (or GRUB) on every boot: seeing it twice means the
# host reset, which Bochs cannot be told to treat as an exit (there is no
# -no-reboot as in QEMU).
boot_marker=KVMM-BOCHS-BOOT

msg() { echo "$prog: $*"; }
err() { echo "$prog: $*" >&2; }

usage() {
	cat >&2 <<EOF
usage: $0 --cpu MODEL --kernel VMLINUZ --initrd INITRD --log SERIAL_LOG
          --timeout SECONDS [--megs N] [--append "kernel args"]
          [--workdir DIR] [--bzimage]
  MODEL      Bochs CPU model (bochs-bin -help cpu): corei7_skylake_x has
             VMX with EPT, VPID and unrestricted guest; core2_penryn_t9600
             is the only model with VMX but none of the three
  --timeout  for the whole run, building the boot image included
  --megs     guest RAM in MB (default 256)
  --workdir  keep the boot image, bochsrc and Bochs's own log (bochs.log,
             which also reports failed VM entries and other CPU errors) in
             DIR; default: a temporary directory, removed at exit
  --bzimage  boot the bzImage through GRUB (slow: the kernel unpacks itself
             inside Bochs) instead of through its PVH entry point
Environment: BOCHS_BOOT_IPS overrides the emulated instructions per second.
EOF
	exit 2
}

cpu='' kernel='' initrd='' log='' timeout='' megs=256 append='' workdir='' bzimage=''
while [ $# -gt 0 ]; do
	case "$1" in
	--cpu|--kernel|--initrd|--log|--timeout|--megs|--append|--workdir)
		[ $# -ge 2 ] || usage
		printf -v "${1#--}" '%s' "$2"
		shift 2
		;;
	--bzimage) bzimage=1; shift ;;
	-h|--help) usage ;;
	*) err "unknown argument: $1"; usage ;;
	esac
done

[ -n "$cpu" ] && [ -n "$kernel" ] && [ -n "$initrd" ] && [ -n "$log" ] &&
	[ -n "$timeout" ] || usage
case "$timeout" in ''|*[!0-9]*) err "--timeout takes seconds"; usage ;; esac
case "$megs" in ''|*[!0-9]*) err "--megs takes megabytes"; usage ;; esac
[ -r "$kernel" ] || { err "cannot read kernel $kernel"; exit 2; }
[ -r "$initrd" ] || { err "cannot read initrd $initrd"; exit 2; }
# GRUB re-quotes such characters in ways the kernel does not undo: keep
# --append to plain words.
case "$append" in
*[\'\"\\\$\;\`]*|*$'\n'*)
	err "--append must not contain quotes, backslashes, \$, \`, ; or newlines"
	exit 2 ;;
esac
for t in bochs-bin setsid od dd cmp truncate; do
	command -v $t >/dev/null || { err "$t not found"; exit 1; }
done
bochs-bin -help cpu 2>&1 | grep -qx -- "$cpu" ||
	{ err "Bochs has no CPU model '$cpu' (see bochs-bin -help cpu)"; exit 2; }

bochs_pid=
tmpdir=
cleanup() {
	if [ -n "$bochs_pid" ]; then
		# Bochs leads its own process group (setsid): end the group,
		# politely first.
		kill -TERM -- "-$bochs_pid" 2>/dev/null
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 -- "-$bochs_pid" 2>/dev/null || break
			sleep 0.2
		done
		kill -KILL -- "-$bochs_pid" 2>/dev/null
		wait "$bochs_pid" 2>/dev/null
		bochs_pid=
	fi
	if [ -n "$tmpdir" ]; then
		rm -rf -- "$tmpdir"
		tmpdir=
	fi
}
trap cleanup EXIT
trap 'err "interrupted"; exit 130' INT
trap 'err "terminated"; exit 143' TERM HUP

start=$SECONDS

if [ -n "$workdir" ]; then
	mkdir -p -- "$workdir" && work=$(cd -- "$workdir" && pwd) || exit 1
else
	tmpdir=$(mktemp -d "${TMPDIR:-/tmp}/bochs-boot.XXXXXX") || exit 1
	work=$tmpdir
fi
: >"$log" || { err "cannot write $log"; exit 2; }
log=$(cd -- "$(dirname -- "$log")" && pwd)/$(basename -- "$log")
rm -f -- "$work/bochs.log"

# 115200: Bochs's UART transmits at the programmed baud rate, and the
# kernel's console default of 9600 leaves the last lines of output in the
# tty buffer when `poweroff -f` cuts power.
# cryptomgr.notests: the crypto self-tests (RSA above all) take ~15 s of a
# ~30 s kernel boot in Bochs; they test the build machine's kernel build,
# not kvmm.
cmdline="console=ttyS0,115200 quiet panic=-1 cryptomgr.notests${append:+ $append}"

# --- PVH boot disk --------------------------------------------------------------

# Little-endian unsigned integer of $1 bytes at offset $2 of file $3.
rd() { od -An -v -t "u$1" -j "$2" -N "$1" -- "$3" | tr -d ' \n'; }

# Unpack the ELF vmlinux from the bzImage $1 into $2.
unpack_bzimage() {
	local bz=$1 out=$2 sects off len start magic
	[ "$(od -An -c -j 514 -N 4 -- "$bz" | tr -d ' ')" = HdrS ] || return 1
	# payload_offset/_length exist from boot protocol 2.08 on.
	[ "$(rd 2 518 "$bz")" -ge $((0x208)) ] || return 1
	sects=$(rd 1 497 "$bz")
	[ "$sects" -eq 0 ] && sects=4
	off=$(rd 4 584 "$bz")
	len=$(rd 4 588 "$bz")
	start=$(((sects + 1) * 512 + off))
	magic=$(od -An -v -tx1 -j "$start" -N 6 -- "$bz" | tr -d ' \n')
	# Kbuild appends the unpacked size (4 bytes) to all but gzip.
	case "$magic" in
	fd377a585a00) tail -c +$((start + 1)) -- "$bz" | head -c $((len - 4)) | xz -dc ;;
	28b52ffd*) tail -c +$((start + 1)) -- "$bz" | head -c $((len - 4)) | zstd -dcq ;;
	1f8b*) tail -c +$((start + 1)) -- "$bz" | head -c "$len" | gzip -dcq ;;
	02214c18*) tail -c +$((start + 1)) -- "$bz" | head -c $((len - 4)) | lz4 -dcq ;;
	*) return 1 ;;
	esac >"$out" 2>/dev/null || return 1
	[ "$(od -An -tx1 -N 5 -- "$out" | tr -d ' ')" = 7f454c4602 ] # ELF64
}

# Write the raw disk image $2 (loader, flat kernel, initrd) for the ELF
# vmlinux $1. Sets disk_cyls.
make_pvh_disk() {
	local elf=$1 disk=$2 flat=$work/kernel.flat
	local phoff phent phnum i ph type off pa fsz msz base='' end=0 entry=''
	local noff nend namesz descsz ntype size lo hi mid
	local ksize isize kaddr iaddr lsec=16 klba ksec ilba isec cyl_bytes

	phoff=$(rd 8 32 "$elf")
	phent=$(rd 2 54 "$elf")
	phnum=$(rd 2 56 "$elf")
	for ((i = 0; i < phnum; i++)); do
		ph=$((phoff + i * phent))
		type=$(rd 4 "$ph" "$elf")
		off=$(rd 8 $((ph + 8)) "$elf")
		pa=$(rd 8 $((ph + 24)) "$elf")
		fsz=$(rd 8 $((ph + 32)) "$elf")
		msz=$(rd 8 $((ph + 40)) "$elf")
		if [ "$type" = 1 ]; then		# PT_LOAD
			{ [ -z "$base" ] || [ "$pa" -lt "$base" ]; } && base=$pa
			[ $((pa + msz)) -gt "$end" ] && end=$((pa + msz))
		elif [ "$type" = 4 ] && [ -z "$entry" ]; then	# PT_NOTE
			# XEN_ELFNOTE_PHYS32_ENTRY (18), owner "Xen"
			noff=$off
			nend=$((off + fsz))
			while [ $((noff + 12)) -le "$nend" ]; do
				namesz=$(rd 4 "$noff" "$elf")
				descsz=$(rd 4 $((noff + 4)) "$elf")
				ntype=$(rd 4 $((noff + 8)) "$elf")
				if [ "$ntype" = 18 ] && [ "$namesz" = 4 ] &&
				   [ "$(od -An -c -j $((noff + 12)) -N 3 -- "$elf" | tr -d ' ')" = Xen ]; then
					entry=$(rd 4 $((noff + 16)) "$elf")
					break
				fi
				noff=$((noff + 12 + (namesz + 3) / 4 * 4 + (descsz + 3) / 4 * 4))
			done
		fi
	done
	[ -n "$entry" ] && [ -n "$base" ] || { msg "no PVH entry point in $kernel"; return 1; }
	[ "$base" -ge $((0x100000)) ] || { msg "kernel loads below 1 MiB"; return 1; }

	# Flat image of the loadable segments as they sit in memory.
	rm -f -- "$flat"
	for ((i = 0; i < phnum; i++)); do
		ph=$((phoff + i * phent))
		[ "$(rd 4 "$ph" "$elf")" = 1 ] || continue
		off=$(rd 8 $((ph + 8)) "$elf")
		pa=$(rd 8 $((ph + 24)) "$elf")
		fsz=$(rd 8 $((ph + 32)) "$elf")
		dd if="$elf" of="$flat" bs=1M iflag=skip_bytes,count_bytes \
		   oflag=seek_bytes skip="$off" seek=$((pa - base)) \
		   count="$fsz" conv=notrunc status=none || return 1
	done
	# About 40% of it is the zero tail (bss, brk): the loader zeroes that
	# instead of reading it. Binary search for the shortest length whose
	# rest is all zero.
	size=$(stat -c %s -- "$flat")
	lo=0
	hi=$(((size + 4095) / 4096))
	while [ "$lo" -lt "$hi" ]; do
		mid=$(((lo + hi) / 2))
		if [ $((mid * 4096)) -ge "$size" ] ||
		   cmp -s -n $((size - mid * 4096)) -i $((mid * 4096)):0 \
		       -- "$flat" /dev/zero; then
			hi=$mid
		else
			lo=$((mid + 1))
		fi
	done
	ksize=$((lo * 4096 < size ? lo * 4096 : size))
	kaddr=$base

	# The initrd goes 1 MiB below the end of RAM (BIOS tables live at the
	# very end), and below 3 GiB: the loader works with 32-bit addresses.
	isize=$(stat -c %s -- "$initrd")
	iaddr=$(( ((megs < 3072 ? megs : 3072) * 1048576 - 1048576 - isize) & ~4095 ))
	if [ "$iaddr" -lt "$end" ]; then
		err "--megs $megs is too small for kernel ($((end >> 20)) MiB) and initrd"
		return 2
	fi

	klba=$lsec
	ksec=$(((ksize + 511) / 512))
	ilba=$((klba + ksec))
	isec=$(((isize + 511) / 512))

	printf '%s' "$cmdline" >"$work/cmdline"
	cat >"$work/loader.S" <<EOF
/*
 * PVH loader, read by the BIOS from sector 0 of the disk to 0x7c00. It
 * reads its other sectors, then kernel and initrd in chunks to 0x10000
 * (int 13h AH=42h) and copies each chunk to its place above 1 MiB, zeroes
 * the kernel's bss, takes the memory map (int 15h E820), and enters the
 * kernel's PVH entry point in 32-bit protected mode, paging off, with
 * %ebx = struct hvm_start_info.
 * Copies and zeroing run in 32-bit protected mode with rep movsl/stosl,
 * which Bochs executes a page at a time; the BIOS's own block move
 * (int 15h AH=87h) uses 16-bit rep movsw, which Bochs steps through word
 * by word (~2 s more per boot).
 */
	.set LOADER_SECTORS, $lsec
	.set CHUNK, 127			/* sectors per int 13h call */
	.set BUF_SEG, 0x1000		/* read buffer 0x10000 */
	.set MAXMAP, 64

	.code16
	.text
	.globl _start
_start:
	cli
	xorw %ax, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movw \$0x7c00, %sp
	sti
	ljmp \$0, \$1f
1:	movb %dl, drive
	movw \$(LOADER_SECTORS - 1), dap_count
	movw \$0x7e00, dap_off
	movw %ax, dap_seg
	movl \$1, dap_lba
	movw \$dap, %si
	movb \$0x42, %ah
	int \$0x13
	jc fail
	jmp stage2

fail:	movw \$failmsg, %si
	call puts
	/* Reset (keyboard controller): the script sees a second boot. */
	movb \$0xfe, %al
	outb %al, \$0x64
2:	hlt
	jmp 2b

/* Print the string at %si to COM1, polled. */
puts:	lodsb
	testb %al, %al
	jz 2f
	movb %al, %ah
	movw \$0x3fd, %dx
1:	inb %dx, %al
	testb \$0x20, %al
	jz 1b
	movw \$0x3f8, %dx
	movb %ah, %al
	outb %al, %dx
	jmp puts
2:	ret

dap:	.byte 16, 0			/* int 13h disk address packet */
dap_count: .word 0
dap_off: .word 0
dap_seg: .word 0
dap_lba: .long 0, 0
drive:	.byte 0
failmsg: .asciz "bochs-boot loader: BIOS call failed\r\n"
	.org 510
	.word 0xaa55

stage2:
	/* COM1: 115200 8N1 (the BIOS leaves it at 5 data bits) */
	movw \$0x3fb, %dx
	movb \$0x80, %al		/* DLAB */
	outb %al, %dx
	movw \$0x3f8, %dx
	movb \$1, %al			/* divisor 1 */
	outb %al, %dx
	incw %dx
	movb \$0, %al
	outb %al, %dx
	movw \$0x3fb, %dx
	movb \$0x03, %al		/* 8N1 */
	outb %al, %dx
	movw \$bootmsg, %si
	call puts
	inb \$0x92, %al			/* A20 on */
	orb \$2, %al
	andb \$0xfe, %al
	outb %al, \$0x92

	movl \$$klba, %eax		/* kernel */
	movl \$$ksec, %ecx
	movl \$$kaddr, %edi
	call load
	movl \$$ilba, %eax		/* initrd */
	movl \$$isec, %ecx
	movl \$$iaddr, %edi
	call load

	/* Zero the kernel from the end of its file part to its end. */
	movl \$$((kaddr + ksec * 512)), %edi
	movl \$$end, %ebx
	subl %edi, %ebx
	jbe 1f
	xorl %esi, %esi
	call copy
1:

	/* Memory map */
	movw \$memmap, %di
	xorl %ebx, %ebx
	xorw %bp, %bp
1:	movl \$0xe820, %eax
	movl \$0x534d4150, %edx
	movl \$24, %ecx
	movl \$1, 20(%di)		/* ACPI 3 attributes: valid */
	int \$0x15
	jc 2f
	cmpl \$0x534d4150, %eax
	jne 2f
	movl \$0, 20(%di)		/* PVH: reserved, must be 0 */
	addw \$24, %di
	incw %bp
	cmpw \$MAXMAP, %bp
	jae 2f
	testl %ebx, %ebx
	jnz 1b
2:	testw %bp, %bp
	jz fail
	movw %bp, memmap_entries

	cli
	lgdtl gdtr
	movl \$0x11, %eax		/* PE, ET; no paging, caches on */
	movl %eax, %cr0
	ljmpl \$0x08, \$pm32

/*
 * Read %ecx sectors from LBA %eax to physical address %edi, through the
 * buffer at BUF_SEG:0.
 */
load:	testl %ecx, %ecx
	jz 3f
	movl \$CHUNK, %ebx
	cmpl %ebx, %ecx
	jae 1f
	movl %ecx, %ebx
1:	movw %bx, dap_count
	movw \$0, dap_off
	movw \$BUF_SEG, dap_seg
	movl %eax, dap_lba
	pushal
	movw \$dap, %si
	movb drive, %dl
	movb \$0x42, %ah
	int \$0x13
	popal
	jc fail
	pushl %esi
	pushl %ebx
	movl \$(BUF_SEG << 4), %esi
	shll \$9, %ebx
	call copy
	popl %ebx
	popl %esi
	addl %ebx, %eax
	subl %ebx, %ecx
	shll \$9, %ebx
	addl %ebx, %edi
	jmp load
3:	ret

/*
 * Copy %ebx bytes (a multiple of 4) from physical address %esi to %edi,
 * or zero them if %esi is 0; in protected mode, back to real mode after.
 */
copy:	pushal
	pushw %ds
	pushw %es
	cli
	lgdtl gdtr
	movl %cr0, %eax
	orb \$1, %al
	movl %eax, %cr0
	ljmpl \$0x08, \$1f
	.code32
1:	movw \$0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movl %ebx, %ecx
	shrl \$2, %ecx
	cld
	testl %esi, %esi
	jz 2f
	rep movsl
	jmp 3f
2:	xorl %eax, %eax
	rep stosl
3:	ljmp \$0x18, \$4f		/* 16-bit code, then real mode */
	.code16
4:	movw \$0x20, %ax		/* 64 KiB limits again for real mode */
	movw %ax, %ds
	movw %ax, %es
	movl %cr0, %eax
	andb \$0xfe, %al
	movl %eax, %cr0
	ljmp \$0, \$5f
5:	popw %es
	popw %ds
	sti
	popal
	ret

	.code32
pm32:	movw \$0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movw %ax, %fs
	movw %ax, %gs
	movl \$start_info, %ebx
	movl \$$entry, %eax
	jmp *%eax

	.balign 8
gdt:	.quad 0
	.quad 0x00cf9a000000ffff	/* 0x08: flat 32-bit code */
	.quad 0x00cf92000000ffff	/* 0x10: flat data */
	.quad 0x00009a000000ffff	/* 0x18: 16-bit code, 64 KiB */
	.quad 0x000092000000ffff	/* 0x20: 16-bit data, 64 KiB */
gdtr:	.word 39
	.long gdt
bootmsg: .asciz "$boot_marker\r\n"

	.balign 8
start_info:				/* struct hvm_start_info */
	.long 0x336ec578, 1, 0, 1	/* magic, version, flags, nr_modules */
	.long modlist, 0, cmdline, 0
	.long 0, 0			/* rsdp_paddr: the kernel scans */
	.long memmap, 0
memmap_entries:
	.long 0, 0
modlist:				/* struct hvm_modlist_entry: initrd */
	.long $iaddr, 0, $isize, 0, 0, 0, 0, 0
cmdline:
	.incbin "cmdline"
	.byte 0
	.balign 8
memmap:					/* struct hvm_memmap_table_entry[] */
	.fill MAXMAP * 24, 1, 0
	.org LOADER_SECTORS * 512
EOF
	as --32 -I "$work" -o "$work/loader.o" "$work/loader.S" &&
	ld -m elf_i386 -Ttext=0x7c00 -o "$work/loader.elf" "$work/loader.o" &&
	objcopy -O binary -j .text "$work/loader.elf" "$work/loader.bin" ||
		{ err "cannot assemble the PVH loader"; return 1; }
	[ "$(stat -c %s -- "$work/loader.bin")" = $((lsec * 512)) ] ||
		{ err "PVH loader is not $lsec sectors long"; return 1; }

	rm -f -- "$disk"
	dd if="$work/loader.bin" of="$disk" bs=512 status=none &&
	dd if="$flat" of="$disk" bs=512 seek="$klba" count="$ksec" \
	   conv=notrunc status=none &&
	dd if="$initrd" of="$disk" bs=512 seek="$ilba" conv=notrunc status=none ||
		return 1
	# Whole cylinders of 16 heads x 63 sectors for the disk geometry.
	cyl_bytes=$((16 * 63 * 512))
	disk_cyls=$(( ((ilba + isec) * 512 + cyl_bytes - 1) / cyl_bytes ))
	truncate -s $((disk_cyls * cyl_bytes)) -- "$disk" || return 1
	rm -f -- "$flat" "$work/cmdline" "$work/loader.o" "$work/loader.elf" "$work/loader.bin"
}

boot_mode=bzImage
if [ -z "$bzimage" ]; then
	if ! command -v as >/dev/null || ! command -v ld >/dev/null ||
	   ! command -v objcopy >/dev/null; then
		msg "no binutils (as, ld, objcopy): booting the bzImage (slow)"
	elif ! unpack_bzimage "$kernel" "$work/vmlinux"; then
		msg "cannot unpack $kernel: booting the bzImage (slow)"
	else
		make_pvh_disk "$work/vmlinux" "$work/host.img"
		case $? in
		0) boot_mode=PVH ;;
		2) exit 2 ;;
		*) msg "booting the bzImage (slow)" ;;
		esac
	fi
	rm -f -- "$work/vmlinux" "$work/kernel.flat"
fi

# --- GRUB ISO for the bzImage --------------------------------------------------
if [ "$boot_mode" = bzImage ]; then
	for t in grub-mkrescue xorriso; do
		command -v $t >/dev/null || { err "$t not found"; exit 1; }
	done
	iso_root=$work/iso-root
	rm -rf -- "$iso_root"
	mkdir -p -- "$iso_root/boot/grub" &&
	cp -- "$kernel" "$iso_root/boot/vmlinuz" &&
	cp -- "$initrd" "$iso_root/boot/initrd" || exit 1
	# Plain commands, no menu: nothing to draw, no timeout.
	cat >"$iso_root/boot/grub/grub.cfg" <<EOF
serial --unit=0 --speed=115200
terminal_input serial
terminal_output serial
echo $boot_marker
linux /boot/vmlinuz $cmdline
initrd /boot/initrd
boot
EOF
	# BIOS only, and only the modules the config needs.
	if ! grub-mkrescue -d /usr/lib/grub/i386-pc -o "$work/host.iso" \
		--install-modules="linux normal iso9660 biosdisk serial terminal echo" \
		--fonts= --locales= --themes= "$iso_root" >"$work/grub-mkrescue.log" 2>&1
	then
		err "grub-mkrescue failed:"
		sed "s/^/$prog: /" "$work/grub-mkrescue.log" >&2
		exit 1
	fi
	rm -rf -- "$iso_root"
	bootdev="ata0-master: type=cdrom, path=\"$work/host.iso\", status=inserted
boot: cdrom"
else
	bootdev="ata0-master: type=disk, path=\"$work/host.img\", mode=flat, cylinders=$disk_cyls, heads=16, spt=63
boot: disk"
fi

# --- bochsrc ------------------------------------------------------------------
# sync=none: guest time follows the instruction count, no waiting for the
# host clock. ips then only scales guest time against instructions; it
# hardly changes how long a boot takes (50M, 200M and 1000M were tried).
ips=${BOCHS_BOOT_IPS:-200000000}
cat >"$work/bochsrc" <<EOF
# Debian's Bochs has neither the nogui nor the term display library: VNC
# (first free port from 5900 on) that does not wait for a client.
display_library: rfb, options="timeout=0"
cpu: model=$cpu, count=1, ips=$ips, reset_on_triple_fault=1, ignore_bad_msrs=1
memory: guest=$megs, host=$megs
romimage: file=/usr/share/bochs/BIOS-bochs-latest, options=fastboot
vgaromimage: file=/usr/share/bochs/VGABIOS-lgpl-latest
vga: extension=vbe, update_freq=1
$bootdev
floppy_bootsig_check: disabled=1
clock: sync=none, time0=utc
com1: enabled=1, mode=file, dev="$log"
mouse: enabled=0
speaker: enabled=0
sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=dummy
log: "$work/bochs.log"
panic: action=fatal
error: action=report
info: action=report
debug: action=ignore
EOF

# Debian's Bochs has its debugger compiled in: it stops before the first
# instruction and at every triple fault (also one of a VMX guest, which is
# only a VM exit for the host). Feed it enough "continue"s for any run.
yes c | head -n 10000 >"$work/cmds"
# Bochs locks disk images with a .lock file, left behind when it is killed.
rm -f -- "$work/host.img.lock"

# --- run ----------------------------------------------------------------------
msg "starting bochs (cpu $cpu, $megs MB, $boot_mode boot, timeout $timeout s)"
# setsid: a Ctrl-C meant for us must not reach Bochs (its debugger would
# catch it) and the whole group can be killed. pdeathsig: Bochs dies with
# us even if we are SIGKILLed.
pdeath=
setpriv --help 2>/dev/null | grep -q -- --pdeathsig && pdeath="setpriv --pdeathsig KILL"
$pdeath setsid bochs-bin -q -f "$work/bochsrc" -rc "$work/cmds" \
	</dev/null >"$work/bochs.out" 2>&1 &
bochs_pid=$!

result=
while :; do
	if ! kill -0 "$bochs_pid" 2>/dev/null; then
		wait "$bochs_pid"
		rc=$?
		bochs_pid=
		if grep -qa 'ACPI control: soft power off' "$work/bochs.log" 2>/dev/null; then
			result=0
			grep -qa "$sentinel" "$log" ||
				err "warning: host powered off without printing $sentinel"
		elif grep -qa "$sentinel" "$log"; then
			result=0
		else
			result=1
			err "bochs exited ($rc) before $sentinel"
		fi
		break
	fi
	if grep -qa "$sentinel" "$log"; then
		# Linux reaches ACPI S5 right after, and Bochs then quits by
		# itself; give it the chance (and time to flush the log).
		for _ in $(seq 15); do
			kill -0 "$bochs_pid" 2>/dev/null || break
			sleep 0.2
		done
		result=0
		break
	fi
	if [ "$(grep -ca "$boot_marker" "$log")" -gt 1 ]; then
		result=3
		err "host reset before $sentinel (kernel panic or triple fault?)"
		break
	fi
	if [ $((SECONDS - start)) -ge "$timeout" ]; then
		result=124
		err "timeout after $timeout s"
		break
	fi
	sleep 0.5
done

if [ "$result" = 0 ]; then
	msg "host powered off after $((SECONDS - start)) s"
elif [ -s "$work/bochs.log" ]; then
	err "last lines of Bochs's log ($work/bochs.log):"
	grep -av '^\s*$' "$work/bochs.log" | tail -n 5 | sed "s/^/$prog:   /" >&2
fi
exit "$result"
