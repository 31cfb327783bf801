/* control_protocol.h - the protocol of a process's control socket, shared by
 * libdsu (runtime/dsu_control.c, which serves it) and lib/Control (the
 * client behind `dsu apply` and `dsu status`).
 *
 * A connection carries one request and one reply. Each message is a frame:
 *
 *   uint32_t length      host byte order: both ends are on one machine
 *   length bytes         text, no terminator
 *
 * so that no byte of a request (a newline in a file name, say) can end it
 * early, and no reply is cut at a buffer size.
 *
 *   "APPLY <timeout_ms>"                    with two descriptors attached
 *   "APPLY <timeout_ms> FORCE <file>:<line>[,<file>:<line>...]|all"  (SCM_RIGHTS): the patch file,
 *                                           open for reading, then the
 *                                           commit word (below)
 *   "STATUS"
 *
 * The reply is "OK <text>" or "ERR <reason>"; STATUS answers "OK <json>".
 *
 * The patch travels as an open descriptor, never as a path: the process
 * reads exactly the file the requester opened and checked, whatever happens
 * to the path meanwhile.
 *
 * The commit word decides who wins when the requester gives up while the
 * process is stopped or slow. It is a 32-bit word in a sealed memfd of
 * DSU_COMMIT_WORD_SIZE bytes that both sides map; the requester creates it
 * PENDING. The process, at the update point, moves it PENDING -> COMMITTING
 * with a compare-and-swap before anything the program can see changes, then
 * to COMMITTED or ROLLED_BACK; it withdraws a request it gave up on with
 * PENDING -> WITHDRAWN. The requester, when it stops waiting, tries
 * PENDING -> WITHDRAWN itself. Exactly one of the two swaps from PENDING
 * succeeds, so "applied" is reported if and only if the update was applied.
 */
#ifndef DSU_CONTROL_PROTOCOL_H
#define DSU_CONTROL_PROTOCOL_H

#include <stdint.h>

#define DSU_CTL_APPLY "APPLY"
#define DSU_CTL_STATUS "STATUS"
#define DSU_CTL_FORCE "FORCE"

/* A request longer than this is malformed; a reply may be any length up to
 * DSU_CTL_MAX_REPLY (the status of a process with a long history). */
#define DSU_CTL_MAX_REQUEST 1024u
#define DSU_CTL_MAX_REPLY (64u << 20)

/* The whole request must arrive within this time after the connection is
 * accepted, and at most this many connections are served at once (more wait
 * in the listen backlog, costing the process no descriptor). */
#define DSU_CTL_REQUEST_DEADLINE_MS 3000
#define DSU_CTL_MAX_CONNECTIONS 4

#define DSU_COMMIT_WORD_SIZE 4096
enum dsu_commit_word {
  DSU_WORD_PENDING = 1,     /* nobody has decided yet */
  DSU_WORD_COMMITTING = 2,  /* the process is committing: wait for it */
  DSU_WORD_COMMITTED = 3,   /* applied */
  DSU_WORD_ROLLED_BACK = 4, /* the process tried and rolled back */
  DSU_WORD_WITHDRAWN = 5    /* never applied, by either side's decision */
};

/* The environment of `dsu test` (lib/Control/UpdateTesting.cpp), read by
 * the runtime at start-up (runtime/dsu_runtime.c), ignored in set-user-ID
 * processes: count the update points reached into a file, or apply a patch
 * synchronously at the K-th one. */
#define DSU_ENV_TEST_PREFIX "DSU_TEST_"
#define DSU_ENV_TEST_COUNT_FILE "DSU_TEST_COUNT_FILE"
#define DSU_ENV_TEST_UPDATE_AT "DSU_TEST_UPDATE_AT"
#define DSU_ENV_TEST_PATCH "DSU_TEST_PATCH"
#define DSU_ENV_TEST_PATCH2 "DSU_TEST_PATCH2"
#define DSU_ENV_TEST_FORCE_AT "DSU_TEST_FORCE_AT"
#define DSU_ENV_DISABLE "DSU_DISABLE"
/* The directory of control sockets, for the runtime and for dsu. */
#define DSU_ENV_RUNTIME_DIR "DSU_RUNTIME_DIR"

#endif /* DSU_CONTROL_PROTOCOL_H */
