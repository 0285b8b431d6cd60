/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_COUNTERS_H
#define TLSTAP_COUNTERS_H

/*
 * What the BPF programs count (per-CPU map counters), and the maps whose
 * updates can fail (per-CPU map map_full, one counter per map): the enums
 * index the maps, the names are what --stats, the exit line and `doctor`
 * print.  Nothing is dropped without being counted here.
 *
 * X(ENUM, "name", "what it counts")
 */
#define TT_COUNTERS(X)                                                                   \
	X(EVENTS, "events", "data records sent")                                          \
	X(RB_DROPS, "ringbuf_drops", "records lost: the ring buffer was full")           \
	X(CONTROL_DROPS, "control_drops", "process records lost: their ring buffer was full") \
	X(TRUNC_BYTES, "truncated_bytes", "plaintext bytes beyond --max-bytes")           \
	X(MAP_FULL, "map_update_failures", "map updates that failed (see map_full)")      \
	X(READ_FAULTS, "user_read_faults", "user memory that could not be read")          \
	X(TUPLE_MISMATCH, "tuple_mismatches", "Go memory tuple != socket tuple")          \
	X(MULTI_FD, "multi_fd_calls", "TLS calls that used two sockets (ambiguous)")      \
	X(NO_CALL_STATE, "returns_without_entry", "returns of calls begun before attach") \
	X(SCRATCH_BUSY, "scratch_busy_drops", "records dropped: scratch buffer in use")   \
	X(FILTERED, "filtered_calls", "TLS calls of processes the filters exclude")      \
	X(FILTERED_COMM, "filtered_comm", "of them by --comm")                           \
	X(FILTERED_EXE, "filtered_exe", "of them by --exe")                              \
	X(FILTERED_CGROUP, "filtered_cgroup", "of them by --cgroup")                     \
	X(FILTERED_PORT, "filtered_port", "TLS calls on connections --port excludes")    \
	X(CONN_ENDS, "conn_ends", "attributed TCP connections seen closing")            \
	X(CIPHER_BINDS, "cipher_binds", "ciphertext matches that named a socket")  \
	X(CIPHER_COLLISIONS, "cipher_collisions", "record prefixes seen twice: never bind") \
	X(CIPHER_CONFLICTS, "cipher_conflicts", "ciphertext naming another socket: unbound") \
	X(CIPHER_LATE_BINDS, "cipher_late_binds", "bind records: a call's record went out before its ciphertext was sent") \
	X(NESTED_UNTRACED, "nested_calls_untraced", "TLS calls carrying another call's records (TLS in TLS), or two deep: not shown")

#define TT_COUNTER_ENUM(e, n, d) TT_C_##e,
enum tt_counter { TT_COUNTERS(TT_COUNTER_ENUM) TT_C_COUNT };
#undef TT_COUNTER_ENUM

/*
 * The maps that hold per-process state, X(ENUM, "name", KEY): the BPF
 * programs count each one's failed updates by name (map map_full), the
 * tracer reports their pressure (--stats) and sweeps a process's entries
 * when it exits or executes, and `tlstap doctor` checks every entry against the
 * system by what its key holds (KEY names an enum tt_key_kind of
 * tlstap/state.h: TT_KEY_##KEY).
 */
#define TT_STATE_MAPS(X)                                                                 \
	X(GO_CALLS, "go_calls", GO_CALL)                                                  \
	X(GO_CONNS, "go_conns", GO_CONN)                                                  \
	X(GO_GCALLS, "go_gcalls", GO_GOROUTINE)                                           \
	X(GO_TGIDS, "go_tgids", TGID)                                                     \
	X(NATIVE_CALLS, "native_calls", PID_TGID)                                         \
	X(NATIVE_OUTER, "native_outer", PID_TGID)                                         \
	X(NATIVE_CONNS, "native_conns", NATIVE_CONN)                                      \
	X(SOCKS, "socks", SOCK)                                                           \
	X(WATCH, "watch", TGID)                                                           \
	X(HELD, "held", TGID)                                                             \
	X(KNOWN_EXES, "known_exes", FILE)                                                 \
	X(MEMBIO_TGIDS, "membio_tgids", TGID)                                             \
	X(CIPHER_OUT, "cipher_out", CIPHER)                                               \
	X(CIPHER_IN, "cipher_in", CIPHER)                                                 \
	X(FRAMES, "frames", FRAME)

#define TT_STATE_MAP_ENUM(e, n, k) TT_M_##e,
enum tt_state_map { TT_STATE_MAPS(TT_STATE_MAP_ENUM) TT_M_COUNT };
#undef TT_STATE_MAP_ENUM

#endif
