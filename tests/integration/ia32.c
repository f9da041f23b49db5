/* SPDX-License-Identifier: Apache-2.0 */
/* A 32-bit (ia32) program without libc: three getppid (i386 nr 64) through
 * int 0x80, then exit_group (252). Its calls must be logged as compat. */
void _start(void)
{
	for (int i = 0; i < 3; i++) {
		int r;
		__asm__ volatile("int $0x80" : "=a"(r) : "a"(64));
	}
	__asm__ volatile("int $0x80" : : "a"(252), "b"(0));
}
