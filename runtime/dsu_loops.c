/* Control migration's blocks (lib/Patch/LoopMigration.cpp).
 *
 * A running loop whose body became a new function goes on with the new body
 * through an adapter that the patch binds to the old body's slot. The locals
 * the new body needs in another form, or that are new, live in a block per
 * running loop, found by the frame's address (the first local the loop
 * receives) and the new body's symbol: made and filled by the patch's
 * local-state transformer at the loop's first turn after the update, freed
 * when the loop returns from its function (after another exit the old
 * function may run the loop again in the same frame).
 *
 * A loop that an earlier patch migrated runs through that patch's adapter,
 * which passes on locals of the oldest frame; a later patch cannot see
 * whether the oldest function reads them after the loop, so a patch that
 * would migrate such a loop again is refused when it is loaded
 * (dsu_check_migrations). For the same reason a patch is refused that
 * migrates a loop whose enclosing function an earlier patch replaced: the
 * plan checked the base version's function, and an older one may still be
 * running the loop. */
#include "dsu_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DSU_EXPORT __attribute__((visibility("default")))

struct loop_block {
  struct loop_block *next;
  const char *callee;
  void *key;
  /* the block follows, aligned for any type */
  _Alignas(16) unsigned char data[];
};

static pthread_mutex_t loops_lock = PTHREAD_MUTEX_INITIALIZER;
static struct loop_block *loops;
/* The block this thread's loop used last: a loop calls the adapter once per
 * turn, so the lookup is one comparison, without the lock. Only the thread
 * whose frame holds a key looks it up, and it clears this when it frees the
 * block. */
static __thread struct loop_block *last_block;
/* The new bodies committed patches migrated loops to (their symbols, in
 * the patches, which stay loaded), with room reserved for the patch being
 * loaded. */
static const char **migrated_to;
static size_t nmigrated_to, migrated_room;
/* Every committed patch (which stays loaded): the functions it rebound. */
static const struct dsu_patch_info **committed;
static size_t ncommitted, committed_room;

DSU_EXPORT void *__dsu_loop_block(const char *site, const char *callee,
                                  void *key, size_t size,
                                  int (*init)(void *block, void **old),
                                  void **old) {
  struct loop_block *hit = last_block;
  if (hit && hit->key == key && hit->callee == callee)
    return hit->data;
  pthread_mutex_lock(&loops_lock);
  for (struct loop_block *b = loops; b; b = b->next)
    if (b->key == key && strcmp(b->callee, callee) == 0) {
      pthread_mutex_unlock(&loops_lock);
      last_block = b;
      return b->data;
    }
  pthread_mutex_unlock(&loops_lock);
  struct loop_block *b = calloc(1, sizeof *b + size);
  if (!b) {
    /* The update has committed: the loop cannot go on without its locals. */
    dsu_warn("out of memory for the locals of the migrated loop %s", site);
    abort();
  }
  b->callee = callee;
  b->key = key;
  /* The transformer runs outside the lock: only this frame's thread can
   * reach this key. */
  if (init(b->data, old) != 0)
    dsu_warn("the local-state transformer of the loop %s failed", site);
  pthread_mutex_lock(&loops_lock);
  b->next = loops;
  loops = b;
  pthread_mutex_unlock(&loops_lock);
  last_block = b;
  return b->data;
}

DSU_EXPORT void __dsu_loop_block_end(void *key, const char *callee) {
  pthread_mutex_lock(&loops_lock);
  for (struct loop_block **p = &loops; *p; p = &(*p)->next)
    if ((*p)->key == key && strcmp((*p)->callee, callee) == 0) {
      struct loop_block *b = *p;
      *p = b->next;
      if (last_block == b)
        last_block = NULL;
      free(b);
      break;
    }
  pthread_mutex_unlock(&loops_lock);
}

/* Whether a committed patch rebound the function whose symbol is Name. */
static int rebound_before(const char *name) {
  for (size_t i = 0; i < ncommitted; i++)
    for (uint32_t r = 0; r < committed[i]->nrebind; r++)
      if (committed[i]->rebind[r].name &&
          strcmp(committed[i]->rebind[r].name, name) == 0)
        return 1;
  return 0;
}

int dsu_check_migrations(const char *const *bodies, char *err, size_t errsize) {
  int rc = 0;
  size_t n = 0;
  for (const char *const *p = bodies; p && p[0] && p[1] && p[2] && p[3]; p += 4)
    n++;
  pthread_mutex_lock(&loops_lock);
  /* Room for this patch's entries, reserved now: noting them after the
   * commit must not fail. */
  int short_of_memory = 0;
  if (nmigrated_to + n > migrated_room) {
    const char **grown =
        realloc(migrated_to, (nmigrated_to + n) * sizeof *migrated_to);
    if (grown) {
      migrated_to = grown;
      migrated_room = nmigrated_to + n;
    } else {
      short_of_memory = 1;
    }
  }
  if (ncommitted + 1 > committed_room) {
    size_t room = 2 * committed_room + 4;
    const struct dsu_patch_info **more =
        realloc(committed, room * sizeof *committed);
    if (more) {
      committed = more;
      committed_room = room;
    } else {
      short_of_memory = 1;
    }
  }
  if (short_of_memory) {
    pthread_mutex_unlock(&loops_lock);
    snprintf(err, errsize, "out of memory for the patch's migrated loops");
    return -1;
  }
  for (const char *const *p = bodies; p && p[0] && p[1] && p[2] && p[3] && !rc;
       p += 4) {
    for (size_t i = 0; i < nmigrated_to; i++)
      if (strcmp(migrated_to[i], p[0]) == 0) {
        snprintf(err, errsize,
                 "the running loop %s already goes on with the body an "
                 "earlier update migrated it to; migrating it again is not "
                 "supported (keep its locals as they are in this version, or "
                 "restart the program on it)",
                 p[2]);
        rc = -1;
        break;
      }
    /* The patch checked the loop's locals against the base version's
     * function holding it; an earlier update that replaced that function
     * may have left an older one running the loop. */
    if (!rc && rebound_before(p[3])) {
      snprintf(err, errsize,
               "the function holding the running loop %s was replaced by an "
               "earlier update, so an older version of it may still run the "
               "loop, whose uses of the loop's locals this patch did not "
               "check; migrating the loop is refused (keep its locals as they "
               "are in this version, or restart the program on it)",
               p[2]);
      rc = -1;
    }
  }
  pthread_mutex_unlock(&loops_lock);
  return rc;
}

void dsu_note_migrations(const char *const *bodies,
                         const struct dsu_patch_info *info) {
  pthread_mutex_lock(&loops_lock);
  /* dsu_check_migrations reserved the room when the patch was loaded. */
  for (const char *const *p = bodies; p && p[0] && p[1] && p[2] && p[3]; p += 4)
    if (nmigrated_to < migrated_room)
      migrated_to[nmigrated_to++] = p[1];
  if (info && ncommitted < committed_room)
    committed[ncommitted++] = info;
  pthread_mutex_unlock(&loops_lock);
}
