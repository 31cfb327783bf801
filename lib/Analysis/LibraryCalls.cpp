//===- LibraryCalls.cpp - which library functions may call program code
//----===//
//
// Code not built with dsu-cc can call a program function only through an
// address the program gave it (UpdateReach.cpp states the assumptions). A
// library call therefore may lead to an update point only if the library can
// call back: an event loop (libevent's event_base_loop calling a handler),
// qsort's comparator, pthread_once. Treating every library call that way
// makes every function that calls malloc or printf "possibly active" as soon
// as one callback holds an update point, and with it every type such a
// function touches a conflict for every update.
//
// So calls into the functions below are not callback paths:
//
//  * every function the C library exports (libc.so.6 and libm.so.6, read
//    when dsu is built: CLibraryFunctions.inc), except those that take or
//    keep a function pointer (qsort, bsearch, the tree and directory
//    walkers, pthread_once, pthread_atfork, fopencookie...). A hand-kept
//    list of "functions known not to call back" missed mallinfo, and with
//    it memcached's whole command path became "possibly active";
//  * of those that keep one, the functions that only register handlers run
//    asynchronously (signal, sigaction: signal handlers must not hold
//    update points) or at exit, and exit itself, which never returns, so no
//    frame suspended under it resumes (the continuation analysis treats
//    every call that does not return so);
//  * libevent's functions that only register or remove handlers: the
//    handlers run from its loop, never from event_add.
//
// Everything else not built with dsu-cc (other libraries, the event loops,
// anything not listed) may call back any function whose address the program
// lets escape. The lists are plain names: a program that defines its own
// `printf` defines it with dsu-cc, and then the call is not a library call
// at all.
//
//===----------------------------------------------------------------------===//
#include "dsu/Analysis/LibraryCalls.h"

#include <set>
#include <string>

using namespace dsu;

namespace {
/// Every function libc.so.6 and libm.so.6 export.
const std::set<std::string> &cLibraryFunctions() {
  static const std::set<std::string> Names = {
#include "CLibraryFunctions.inc"
  };
  return Names;
}

/// C library functions that take a function pointer and may call it before
/// they return, or keep it for a later call from another C library function.
const std::set<std::string> &cLibraryCallbacks() {
  static const std::set<std::string> Names = {"qsort",
                                              "qsort_r",
                                              "bsearch",
                                              "lfind",
                                              "lsearch",
                                              "tsearch",
                                              "tfind",
                                              "tdelete",
                                              "twalk",
                                              "twalk_r",
                                              "tdestroy",
                                              "ftw",
                                              "ftw64",
                                              "nftw",
                                              "nftw64",
                                              "scandir",
                                              "scandir64",
                                              "scandirat",
                                              "scandirat64",
                                              "glob",
                                              "glob64",
                                              "pthread_once",
                                              "call_once",
                                              "pthread_create",
                                              "thrd_create",
                                              "pthread_atfork",
                                              "__register_atfork",
                                              "pthread_key_create",
                                              "tss_create",
                                              "fopencookie",
                                              "makecontext",
                                              "swapcontext",
                                              "setcontext",
                                              "dl_iterate_phdr",
                                              "__libc_start_main",
                                              "clone",
                                              "register_printf_function",
                                              "register_printf_specifier",
                                              "register_printf_modifier",
                                              "register_printf_type",
                                              "_obstack_begin",
                                              "_obstack_begin_1",
                                              "_obstack_newchunk",
                                              "argp_parse",
                                              "getaddrinfo_a",
                                              "timer_create",
                                              "mq_notify",
                                              "aio_read",
                                              "aio_read64",
                                              "aio_write",
                                              "aio_write64",
                                              "aio_fsync",
                                              "aio_fsync64",
                                              "lio_listio",
                                              "lio_listio64",
                                              "__cxa_atexit",
                                              "__cxa_thread_atexit_impl",
                                              "at_quick_exit",
                                              "__cxa_at_quick_exit",
                                              "quick_exit",
                                              "dlopen",
                                              "dlmopen"};
  return Names;
}

/// Functions outside the C library known not to call program code.
const std::set<std::string> &otherLeafFunctions() {
  static const std::set<std::string> Names = {
      // Handlers registered here run asynchronously (signal handlers must
      // not hold update points, see UpdateReach.cpp) or at exit, and exit
      // never returns, so no frame suspended under it resumes.
      "signal", "sigaction", "atexit", "on_exit", "exit", "_Exit",
      // libevent's registration API: it records handlers, and only the
      // loop (event_base_loop, event_dispatch...) runs them. Buffer,
      // bufferevent, http and dns functions may run callbacks and are not
      // listed.
      "event_init", "event_base_new", "event_base_new_with_config",
      "event_base_free", "event_base_set", "event_set", "event_assign",
      "event_new", "event_free", "event_add", "event_del", "event_pending",
      "event_initialized", "event_get_fd", "event_get_base",
      "event_base_loopexit", "event_base_loopbreak", "event_loopexit",
      "event_loopbreak", "event_reinit", "event_get_version",
      "event_base_get_method", "event_priority_init", "event_priority_set",
      "event_base_priority_init", "event_config_new", "event_config_free",
      "evutil_make_socket_nonblocking", "evutil_closesocket",
      "evutil_socketpair", "evutil_gettimeofday",
      // libcrypt, and BSD names some C libraries have
      "crypt", "crypt_r", "strlcpy", "strlcat"};
  return Names;
}
} // namespace

bool dsu::libraryMayCallBack(llvm::StringRef Name) {
  // The runtime's entry points (update points, heap tracking, thread
  // registration) run transformers of the new version, never old code.
  if (Name.starts_with("__dsu") || Name.starts_with("dsu_") ||
      Name.starts_with("llvm."))
    return false;
  std::string Plain = Name.str();
  if (otherLeafFunctions().count(Plain))
    return false;
  return !cLibraryFunctions().count(Plain) || cLibraryCallbacks().count(Plain);
}
