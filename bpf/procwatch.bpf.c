// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Process lifecycle events the tracer must react to: a new program (exec),
 * libraries loaded or unloaded (the dynamic loader's _dl_debug_state()), and
 * exit.  Each sends a control event; for a process the tracer launched, exec
 * and dlopen also stop it (SIGSTOP, taken before it runs another user
 * instruction) until the tracer has attached to the new code and sent SIGCONT,
 * so no TLS call slips through.  The processes the launched command's tree
 * forks are watched (and held) alike, from their fork.
 *
 * With --all every process is watched: each exec is reported; with
 * --hold-new, a process whose executable the tracer has not seen yet is
 * also held at its exec and at its loader's activity until the tracer has
 * attached to its files.
 */
#include "common.bpf.h"

TT_MAP_KNOWN_EXES;
extern TT_MAP_NATIVE_CALLS;
extern TT_MAP_NATIVE_OUTER;


static __always_inline void notify(__u32 tgid, __u32 kind, bool may_stop, __u32 rflags)
{
	struct tt_proc_rec ev = { .hdr = { .type = TT_REC_PROC, .tgid = tgid }, .kind = kind,
				  .flags = rflags };
	__u8 *flags = bpf_map_lookup_elem(&watch, &tgid);
	struct tt_file_key exe;

	if (!flags)
		return;
	if (*flags & TT_WATCH_QUIET) {
		if (process_filter(tgid))
			return;
		watch_passed(flags); /* let through now: told from here on */
	}
	if (kind == TT_PROC_EXIT && (settings.filters & TT_PROCESS_FILTERS) &&
	    !(*flags & TT_WATCH_PASSED))
		ev.flags |= TT_PROCF_EXCLUDED;
	if (kind == TT_PROC_EXEC) {
		current_exe(&exe);
		ev.exe_dev = exe.dev;
		ev.exe_ino = exe.ino;
	}
	send_proc_rec(&ev, may_stop && (*flags & TT_WATCH_STOP));
}

SEC("uprobe")
int dl_debug_state(struct pt_regs *ctx)
{
	notify(bpf_get_current_pid_tgid() >> 32, TT_PROC_RESCAN, true, 0);
	return 0;
}

/*
 * --all: how to watch a process that the filters (--comm, --exe, --cgroup)
 * exclude: quietly, so that it costs no record.  Its executable is attached
 * when a process they let through runs it.
 */
static __always_inline __u8 watch_flags(__u32 tgid)
{
	return TT_WATCH_NOTIFY | (process_filter(tgid) ? TT_WATCH_QUIET : TT_WATCH_PASSED);
}

/*
 * --all: every process is watched from its exec.  Whether it runs a file
 * the tracer has not seen is said in its record; with --hold-new such a
 * process is held until it is attached (it may do TLS at once), unless the
 * filters exclude it.  Returns the record's flags.
 */
static __always_inline __u32 watch_new_process(__u32 tgid)
{
	__u8 flags = watch_flags(tgid);
	struct tt_file_key exe;
	bool new_exe;

	if (tgid == settings.self_tgid)
		return 0;
	current_exe(&exe);
	new_exe = !bpf_map_lookup_elem(&known_exes, &exe);
	if (new_exe && settings.hold_new && !(flags & TT_WATCH_QUIET))
		flags |= TT_WATCH_STOP;
	update_or_count(&watch, TT_M_WATCH, &tgid, &flags);
	return new_exe ? TT_PROCF_NEW_EXE : 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(watch_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u32 rflags = settings.all ? watch_new_process(tgid) : 0;

	notify(tgid, TT_PROC_EXEC, true, rflags);
	return 0;
}

/*
 * -- CMD: a process of the launched command's tree forked.  The child is
 * watched and traced too, with its parent's flags: held from its first
 * instruction until attached (a child that execs is held at its exec as
 * well), where the kernel lets BPF signal another task; elsewhere a forked
 * child runs at once, its TLS calls before the attach unseen.
 */
static __always_inline void follow_child(struct task_struct *child, __u32 tgid)
{
	__u32 parent = bpf_get_current_pid_tgid() >> 32;
	struct tt_proc_rec ev = { .hdr = { .type = TT_REC_PROC, .tgid = tgid },
				  .kind = TT_PROC_FORK };
	__u8 *pflags = bpf_map_lookup_elem(&watch, &parent);
	__u8 flags;

	if (!pflags || !(*pflags & TT_WATCH_FOLLOW))
		return;
	flags = *pflags;
	if (update_or_count(&watch, TT_M_WATCH, &tgid, &flags))
		return;
	send_proc_rec_task(&ev, flags & TT_WATCH_STOP, child);
}

/*
 * --all: a process forked without exec (a server's worker) runs the files
 * its parent mapped, whose probes already fire for it; it is watched so
 * that its exit is reported and its state swept.
 */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(watch_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 tgid = child->tgid;
	__u8 flags;

	if (tgid != (__u32)child->pid || tgid == settings.self_tgid)
		return 0; /* a thread, or us */
	if (!settings.all) {
		follow_child(child, tgid);
		return 0;
	}
	/* The child starts with the forking thread's name, file and cgroup
	 * (but for CLONE_INTO_CGROUP): judged by them; a quiet process is
	 * judged again at each record anyway. */
	flags = watch_flags(tgid);
	update_or_count(&watch, TT_M_WATCH, &tgid, &flags);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(watch_exit, struct task_struct *p)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	__u8 *flags;

	/* A thread that exits inside a native TLS call never returns from it:
	 * its state goes now, and keeps the socket hooks busy no more. */
	if (sock_watchers && bpf_map_delete_elem(&native_calls, &id) == 0) {
		__sync_fetch_and_sub(&sock_watchers, 1);
		bpf_map_delete_elem(&native_outer, &id);
	}

	/* The thread group is gone when its last thread exits (do_exit has
	 * already counted this one out of signal->live). */
	if (BPF_CORE_READ(p, signal, live.counter) != 0)
		return 0;
	/* A quiet process the filters never let through made no state: its
	 * entry goes here, without a record. */
	flags = bpf_map_lookup_elem(&watch, &tgid);
	if (flags && (*flags & TT_WATCH_QUIET)) {
		bpf_map_delete_elem(&watch, &tgid);
		return 0;
	}
	notify(tgid, TT_PROC_EXIT, false, 0);
	return 0;
}
