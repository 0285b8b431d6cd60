/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_COMPILER_H
#define TLSTAP_COMPILER_H

/* Small helpers every part of tlstap's user space uses. */

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* A macro's value as a string literal (help texts quote the constants). */
#define TT_STR_(x) #x
#define TT_STR(x) TT_STR_(x)

#if defined(__GNUC__)
#define TT_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define tt_likely(x) __builtin_expect(!!(x), 1)
#define tt_unlikely(x) __builtin_expect(!!(x), 0)
#else
#define TT_PRINTF(a, b)
#define tt_likely(x) (x)
#define tt_unlikely(x) (x)
#endif

#endif
