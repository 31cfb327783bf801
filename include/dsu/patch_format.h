/* patch_format.h - the on-disk format of a dsu patch, shared by `dsu patch`
 * (which writes it) and libdsu (which checks and loads it).
 *
 *   struct dsu_patch_header     fixed size, little-endian
 *   payload                     a shared object with the new code and data
 *   plan                        the patch plan as text (for `dsu status`)
 *
 * The runtime checks the header (magic, format, sizes, both hashes) and the
 * base version before any byte of the payload is mapped. The shared object
 * exports `__dsu_patch_info`, which lists the slots to rebind at commit.
 */
#ifndef DSU_PATCH_FORMAT_H
#define DSU_PATCH_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define DSU_PATCH_MAGIC "DSUPATCH"
#define DSU_PATCH_FORMAT 1
#define DSU_PATCH_ABI 2
#define DSU_TAG_SEPARATOR '#'
#define DSU_VERSION_ID_SIZE 32

struct dsu_patch_header {
  char magic[8];
  uint32_t format;
  uint32_t header_size;
  char base_version[DSU_VERSION_ID_SIZE];   /* NUL-padded hex */
  char target_version[DSU_VERSION_ID_SIZE]; /* NUL-padded hex */
  uint64_t payload_size;
  uint64_t payload_hash; /* dsu_fnv1a64 of the payload */
  uint64_t plan_size;
  uint64_t header_hash; /* dsu_fnv1a64 of this header with this field 0 */
};

/* One slot to point at a new body when the update commits. */
struct dsu_rebind {
  void **slot;
  void *body;
  const char *name;
};

struct dsu_patch_info {
  uint32_t abi;
  uint32_t nrebind;
  const struct dsu_rebind *rebind;
  const char *base_version;
  const char *target_version;
};

/* State transformation tables, exported by patches that change types or
 * global types (generated C, see lib/Patch/Transformers.cpp). Each table is
 * an array ending with an entry whose first member is NULL.
 *
 * Heap objects are known by the tag their allocation site gave them: the
 * type's name and a hash of its layout ("struct item#1a2b3c4d"). */
typedef int (*dsu_xform_fn)(void *new_object, const void *old_object);

/* A field that keeps its name and representation across a type change: a
 * pointer into it (at old_offset + d, d < size) moves to new_offset + d. */
struct dsu_field_move {
  size_t old_offset, new_offset, size; /* a zero size ends the list */
};

struct dsu_type_xform {
  const char *old_tag;
  const char *new_tag;
  size_t old_size, new_size;
  dsu_xform_fn fn; /* 0 on success */
  const struct dsu_field_move *moves; /* for pointers into the middle */
};

/* A global whose type changed: new storage, filled from the old. When it is
 * a changed struct or an array of one, elem_type is 1 + the index of that
 * type in __dsu_type_xforms (pointers to its elements and their fields
 * follow them); otherwise 0 (only pointers to its start follow it). */
struct dsu_global_xform {
  const char *name;
  void *old_addr;
  void *new_addr;
  int (*fn)(void); /* 0 on success */
  size_t old_size, new_size;
  int elem_type;
};

/* Where pointers to relocated objects may live in objects tagged `tag`:
 * at `offset`, or (offset == (size_t)-1) in every pointer-sized slot, or
 * (offset == (size_t)-2) in every slot of an array of untyped pointers,
 * where a pointer into a relocated object is refused (dsu cannot know that
 * the slot holds a pointer and not some other value). */
struct dsu_pointer_field {
  const char *tag;
  size_t offset;
  const char *where; /* "struct item.next", for messages */
  int inner; /* see dsu_global_pointer */
};

/* Hooks of the user's, exported by a transformers file as __dsu_hooks.
 * `commit` runs once the update is in place: new objects reachable, new
 * function bodies installed, old objects not freed yet (dsu_relocated() and
 * dsu_original() still answer), under the update's pause: the place to
 * re-register moved objects with a library or the kernel (event_del on the
 * old address, event_set/event_add on the new). It cannot fail the update.
 * `rollback` runs when the update is abandoned after transformers ran, to
 * undo what they did outside the new objects. */
struct dsu_hooks {
  void (*commit)(void);
  void (*rollback)(void);
};

/* An update point where the patch must not be applied (a function that may
 * be active there uses what the patch changes). Exported by the patch as
 * __dsu_unsafe_points, ending with a NULL file. */
struct dsu_unsafe_point {
  const char *file; /* as __FILE__ spells it: the file name */
  uint32_t line;
  const char *reason;
};

/* A pointer to a relocated object held by a global at addr. */
struct dsu_global_pointer {
  void *addr;
  const char *where;
  /* 0: typed as a pointer to a changed type, so it must lead to an object
   * dsu relocates (or be null). 1: a pointer to a type that changed types
   * hold by value (a list link, a char buffer): it is redirected if it
   * points into a relocated object and left alone otherwise. */
  int inner;
};

/* An array of pointers of which only the first *count elements are in use:
 * `array` is the address of the global that points to it (exported by the
 * patch as __dsu_live_ranges, ending with a NULL array). */
struct dsu_live_range {
  void *const *array;
  const void *count;
  size_t count_size; /* 1, 2, 4 or 8 bytes, unsigned or non-negative */
  const char *where;
};

static inline uint64_t dsu_fnv1a64(const void *data, size_t size) {
  const unsigned char *p = (const unsigned char *)data;
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < size; i++) {
    h ^= p[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

#endif /* DSU_PATCH_FORMAT_H */
