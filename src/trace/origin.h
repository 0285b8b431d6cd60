/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_TRACE_ORIGIN_H
#define TLSTAP_TRACE_ORIGIN_H

/*
 * Where a process runs, from the cgroup v2 id its records carry: the cgroup
 * path and what the path says of containers (the container id of docker,
 * containerd/CRI, CRI-O and podman; a Kubernetes pod's UID).  The id is
 * resolved when the record is decoded, so a process already gone still has
 * its origin while its cgroup exists.
 */

#include <stddef.h>
#include <stdint.h>

#include "trace/chunk.h"

/* A container id is 64 hex digits; a pod UID is a UUID (36 characters). */
#define TT_CONTAINER_ID_LEN 64
#define TT_POD_UID_LEN 36

/*
 * What a cgroup path names: container (TT_CONTAINER_ID_LEN + 1 bytes) and
 * pod_uid (TT_POD_UID_LEN + 1 bytes), "" when the path shows none.  Pure:
 * the path is not looked up.
 */
void tt_origin_parse(const char *path, char *container, char *pod_uid);

/* The cgroup v2 mount point (from /proc/self/mountinfo). */
int tt_cgroup2_root(char *buf, size_t len);

/* cgroup id -> origin, cached (one per tracer, used by one thread). */
struct tt_origins;

/* The cache's default bound: more ids than this (cgroups come and go on a
 * busy host, and a tracer runs for weeks) and it starts over. */
#define TT_ORIGINS_MAX 16384

/* root: the cgroup v2 mount point, NULL to find it in /proc/self/mountinfo;
 * max: ids held at most (0: TT_ORIGINS_MAX). */
struct tt_origins *tt_origins_new(const char *root, size_t max);
void tt_origins_free(struct tt_origins *c);

/* The origin of a record's cgroup (ns_pid is left alone).  Unknown ids
 * leave the fields NULL.  The strings stay valid until the next lookup,
 * which may drop them: a user that keeps them copies them. */
void tt_origins_lookup(struct tt_origins *c, uint64_t cgroup_id, struct tt_origin *o);

/* Ids the cache holds (known or not). */
size_t tt_origins_held(const struct tt_origins *c);

#endif
