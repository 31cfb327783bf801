/* klee.h - KLEE-compatible intrinsics for dsu symex.
 *
 * Harnesses include <klee/klee.h> (pass -I to the directory that holds the
 * klee/ folder, which `dsu symex` and `dsu replay` do for you) and run
 * unchanged under dsu symex, dsu replay and KLEE. Under dsu symex these
 * calls are interpreted by the engine; under dsu replay they are served by
 * the replay runtime from a test-case file.
 */
#ifndef DSU_KLEE_KLEE_H
#define DSU_KLEE_KLEE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Makes the ADDR[0..NBYTES) object symbolic; NAME names it in test cases. */
void klee_make_symbolic(void *addr, size_t nbytes, const char *name);

/* Restricts the current path to inputs where CONDITION is non-zero. */
void klee_assume(uintptr_t condition);

/* Returns a fresh symbolic int in [BEGIN, END). */
int klee_range(int begin, int end, const char *name);

/* Returns a fresh unconstrained symbolic int. */
int klee_int(const char *name);

/* Ends the current path without an error and without a test case. */
void klee_silent_exit(int status) __attribute__((noreturn));

/* dsu extension (not KLEE's): while ON is 1, an error ends the path
 * without a verdict and without a test case, counted as excused (dsu
 * verify runs the old version alone so: its own failures are not the
 * update's). While ON is 2, an error in a fiber (below) other than 0 ends
 * that fiber alone: it is done, __dsu_symex_fiber_failed says so, the path
 * goes on in fiber 0, and the failure is kept for __dsu_symex_excused_exit,
 * which ends the path as excused with it. Natively, and under dsu replay,
 * they do nothing. */
void __dsu_symex_excuse_errors(int on);
void __dsu_symex_excused_exit(void);

/* dsu extension (not KLEE's): fibers, call stacks of their own that take
 * turns on one path, in one memory. __dsu_symex_fiber_new returns the id
 * of a fiber that will run FN from its start; __dsu_symex_fiber_switch
 * suspends the running fiber after the call and resumes fiber ID (0 is the
 * path's main) where it stopped. A fiber whose FN returns is done and the
 * path goes on in fiber 0. Not available natively. */
int __dsu_symex_fiber_new(void (*fn)(void));
void __dsu_symex_fiber_switch(int id);
int __dsu_symex_fiber_failed(int id);

/* Reports an error at the call site and ends the path. */
void klee_report_error(const char *file, int line, const char *message,
                       const char *suffix) __attribute__((noreturn));

/* Returns non-zero when EXPR is symbolic on the current path. */
unsigned klee_is_symbolic(uintptr_t expr);

/* A hint for the counterexample; ignored by dsu symex. */
void klee_prefer_cex(void *object, uintptr_t condition);

#define klee_assert(expr)                                                      \
  ((expr) ? (void)0                                                            \
          : klee_report_error(__FILE__, __LINE__, "assertion failed: " #expr,  \
                              "assert.err"))

#ifdef __cplusplus
}
#endif

#endif /* DSU_KLEE_KLEE_H */
