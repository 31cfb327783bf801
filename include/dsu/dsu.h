/* dsu.h - the interface between an updatable C program and libdsu.
 *
 * A program built with dsu-cc includes this header (dsu-cc puts it on the
 * include path) and marks the places where an update may happen:
 *
 *     while (running) {
 *         DSU_UPDATE_POINT();
 *         handle_next_request();
 *     }
 *
 * An update requested with `dsu apply PID PATCH` is applied at the next
 * update point the program reaches. Programs that sleep in poll/select/epoll
 * add dsu_update_fd() to their descriptor set: it becomes readable when an
 * update is requested, so the loop wakes up and reaches its update point.
 *
 * Everything here is plain C and safe to include from any translation unit.
 */
#ifndef DSU_DSU_H
#define DSU_DSU_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Non-zero while an update request waits for an update point. Read with
 * acquire semantics by DSU_UPDATE_POINT; written only by libdsu. */
extern volatile int __dsu_update_pending;

/* Slow path of DSU_UPDATE_POINT: applies the pending update, if any. */
void __dsu_update_point(const char *file, int line);

/* An update point: cheap (one load and a branch) when no update is pending. */
#define DSU_UPDATE_POINT()                                                     \
  do {                                                                         \
    if (__builtin_expect(                                                      \
            __atomic_load_n(&__dsu_update_pending, __ATOMIC_ACQUIRE), 0))      \
      __dsu_update_point(__FILE__, __LINE__);                                  \
  } while (0)

/* A descriptor that becomes readable when an update is requested, and stops
 * being readable when the update commits, is withdrawn, or is deferred at an
 * update point found unsafe for it (so that a poll loop does not spin while
 * the update waits for a safe point). Add it to a poll/select/epoll set; the
 * program need not read from it. Returns -1 if the runtime is not active
 * (for example the control socket could not be made). */
int dsu_update_fd(void);

/* The version id of the code the process runs now (a hex string). */
const char *dsu_current_version(void);

/* Number of updates applied to this process so far. */
int dsu_update_count(void);

/* For state transformers: the new address of an object (or array element)
 * that the update relocates, or `old` itself if it does not move. Valid
 * while transformers run. Pointers held in fields typed as pointers to a
 * changed type are redirected by dsu anyway; this is for the others. */
void *dsu_relocated(const void *old);

/* For a commit hook: the old address of an object (or element) that the
 * update relocated, given its new address, or `new_object` itself. Valid
 * while transformers and hooks run. */
void *dsu_original(const void *new_object);

/* For a commit hook: calls fn(new_object, old_object) for every heap object
 * (or array element) of `type` that the update moved to a new address, the
 * type named as either version spells it ("struct conn", or the typedef
 * name of an anonymous struct: "conn"). Objects rewritten in place are not
 * included. The old objects are intact until the hook returns. Returns the
 * number of calls. */
size_t dsu_for_each_moved(const char *type,
                          void (*fn)(void *new_object, const void *old_object));

/* In a transformers file: the patch itself re-registers the relocated
 * objects of `type` with the library that holds their addresses (see
 * `struct dsu_hooks` in <dsu/patch_format.h>), so dsu may move them although
 * their address was given to code it does not build. */
#define DSU_REREGISTERS(type)

/* Annotates a `void *` field or global with the type it points to, so that
 * dsu can redirect it when objects of that type move:
 *     void *data DSU_POINTS_TO(struct item);
 * Without it, a patch that relocates objects is refused while such a field
 * exists, since it could hold a pointer dsu cannot see. */
#define DSU_POINTS_TO(type) __attribute__((annotate("dsu_points_to:" #type)))

/* Annotates a global pointer to an array of pointers with the global that
 * counts the elements in use, so that dsu reads only those when it looks for
 * pointers to relocated objects (the rest may be garbage):
 *     static conn **freeconns DSU_LIVE_COUNT(freecurr);
 * Without it, every slot of such an array must hold null or a pointer to an
 * object dsu knows, or the update is refused. */
#define DSU_LIVE_COUNT(count)                                                  \
  __attribute__((annotate("dsu_live_count:" #count)))

#ifdef __cplusplus
}
#endif

#endif /* DSU_DSU_H */
