/* patch_format.h - the on-disk format of a dsu patch, shared by `dsu patch`
 * (which writes it) and libdsu (which checks and loads it).
 *
 *   struct dsu_patch_header     fixed size, little-endian
 *   payload                     a shared object with the new code and data
 *   plan                        the patch plan as text (for `dsu status`)
 *
 * Every byte is covered: the header by header_hash, the payload and the plan
 * by their own hashes (FNV-1a: they find damage, not forgery). The runtime
 * checks all three, the full base version (all DSU_VERSION_ID_SIZE bytes,
 * NUL-padded) and the payload's ELF structure (dsu_check_elf below) before
 * any byte of the payload is mapped. Authenticity is the signature's job: a
 * signed patch carries the signer's Ed25519 public key and a signature over
 * the whole file with the signature and header_hash fields zeroed, so it
 * binds the base version, the payload and the plan; a process started with
 * trusted keys loads only patches signed by one of them (docs/security.md).
 * The shared object exports `__dsu_patch_info`, which lists the slots to
 * rebind at commit.
 */
#ifndef DSU_PATCH_FORMAT_H
#define DSU_PATCH_FORMAT_H

#include <elf.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define DSU_PATCH_MAGIC "DSUPATCH"
#define DSU_PATCH_FORMAT 2
#define DSU_PATCH_ABI 6
#define DSU_TAG_SEPARATOR '#'
#define DSU_VERSION_ID_SIZE 32

/* The file of trusted public keys (docs/security.md). */
#define DSU_ENV_TRUSTED_KEYS "DSU_TRUSTED_KEYS"
#define DSU_PATCH_SIGNED 1u /* flags: signer and signature are set */
#define DSU_SIGN_KEY_SIZE 32  /* an Ed25519 public key */
#define DSU_SIGNATURE_SIZE 64 /* an Ed25519 signature */

struct dsu_patch_header {
  char magic[8];
  uint32_t format;
  uint32_t header_size;
  /* NUL-padded, not NUL-terminated: a version id may fill the field, and
   * every byte is compared. */
  char base_version[DSU_VERSION_ID_SIZE];
  char target_version[DSU_VERSION_ID_SIZE];
  uint64_t payload_size;
  uint64_t payload_hash; /* dsu_fnv1a64 of the payload */
  uint64_t plan_size;
  uint64_t plan_hash; /* dsu_fnv1a64 of the plan */
  uint32_t flags;     /* DSU_PATCH_SIGNED or 0; other bits must be 0 */
  uint32_t reserved;  /* 0 */
  unsigned char signer[DSU_SIGN_KEY_SIZE];
  /* Ed25519 over the whole file with signature and header_hash zeroed. */
  unsigned char signature[DSU_SIGNATURE_SIZE];
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
  /* Objects allocated with data after them carry old_tag + "+" (their
   * allocation made room for sizeof(T) + more). Their data starts at
   * old_tail in the old layout (the flexible array member's offset, or
   * old_size) and moves to new_tail; they get the tag new_trailing_tag. */
  size_t old_tail, new_tail;
  const char *new_trailing_tag;
  /* Objects from an allocator the program frees itself
   * (-fdsu-allocator=A:FREE, a pool or a slab) are rewritten in place when
   * their new layout fits. When it does not, they move through the
   * program's own allocator: alloc(size) gives the new block (NULL: none,
   * the update is refused) and dealloc(object, size) takes back the old one
   * after the commit (or the new one after a rollback). Both are 0 unless
   * every such site of the type uses one pair, which the runtime can then
   * be sure made each object. */
  void *(*alloc)(size_t size);
  void (*dealloc)(void *object, size_t size);
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

/* A mutable global whose initialiser changed, and that the program may have
 * written (lib/Analysis/GlobalWrites.cpp could not show otherwise): if at the
 * commit its running bytes still equal its old initialiser, the program
 * never changed it and the new initialiser is the right value; otherwise
 * the running value stays (exported by the patch as __dsu_global_inits,
 * ending with a NULL name; lib/Patch/PatchBuilder.cpp).
 *
 * old_init holds the old initialiser's bytes; the pointers in it are listed
 * in `pointers` (ending with a NULL target), as the address the running
 * slot must hold, or (by_content) a string the slot must point to (a string
 * literal of the old build, which the patch cannot name). new_init is the
 * new initialiser, copied over addr when the commit goes through; it is
 * NULL for a global whose type changed, whose new storage already holds it:
 * its transformer in __dsu_global_xforms (the entry with old_addr == addr)
 * then does not run. */
struct dsu_init_pointer {
  size_t offset;
  const void *target;
  int by_content;
};
struct dsu_global_init {
  const char *name;
  void *addr;
  const void *old_init;
  const struct dsu_init_pointer *pointers;
  const void *new_init;
  size_t size;
};

/* Whether the running bytes of g are still its old initialiser. */
static inline int dsu_init_unchanged(const struct dsu_global_init *g) {
  const unsigned char *run = (const unsigned char *)g->addr;
  const unsigned char *old = (const unsigned char *)g->old_init;
  const struct dsu_init_pointer *p = g->pointers;
  size_t i = 0;
  while (i < g->size) {
    if (p && p->target && p->offset == i) {
      const char *v, *want = (const char *)p->target;
      memcpy(&v, run + i, sizeof v);
      if (!p->by_content ? (const void *)v != p->target : !v)
        return 0;
      /* Byte by byte, up to the literal's terminator: a shorter string the
       * program stored differs at its own terminator at the latest. */
      for (; p->by_content && *want; v++, want++)
        if (*v != *want)
          return 0;
      if (p->by_content && *v)
        return 0;
      i += sizeof(void *);
      p++;
      continue;
    }
    if (run[i] != old[i])
      return 0;
    i++;
  }
  return 1;
}

/* Where pointers to relocated objects may live in objects tagged `tag`:
 * at `offset`, or (offset == (size_t)-1) in every pointer-sized slot, or
 * (offset == (size_t)-2) in every slot of an array of untyped pointers,
 * where a pointer into a relocated object is refused (dsu cannot know that
 * the slot holds a pointer and not some other value). */
struct dsu_pointer_field {
  const char *tag;
  size_t offset;
  const char *where; /* "struct item.next", for messages */
  int inner;         /* 0, 1 or 2: see dsu_global_pointer */
  /* The size of one object of the tag's type, so that every element of an
   * array of them is read (0 for the (size_t)-1 and -2 entries). */
  size_t elem;
  /* An array field: `count` slots, `stride` bytes apart (0: one slot). */
  size_t count, stride;
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

/* The patch's verdict at an update point of its base version, or at a
 * blocking call where another thread may be parked (exported as
 * __dsu_points, ending with a NULL file). */
struct dsu_point {
  const char *file; /* as __FILE__ spells it: the file name */
  uint32_t line;
  /* NULL where the patch is safe; otherwise why it is not. */
  const char *reason;
  /* The context site ids (ending with 0) through which the point is safe
   * (lib/Analysis/Contexts.cpp): the update proceeds there only if every
   * site on the thread's context stack is one of them or a frame an earlier
   * patch left running that uses nothing this patch changes. NULL: no
   * check (a patch that changes no type), or, with a reason, unsafe
   * however the point is reached. */
  const uint64_t *safe_contexts;
};

/* A frame of the patch's base version that the runtime may find on a stack
 * (exported as __dsu_residuals, ending with site 0): after the patch it may
 * go on running old code, so later patches must not change what it uses
 * (`uses`, type names and global symbols, ending with NULL). The patch also
 * exports __dsu_base_sites, the same sites sorted and 0-ended, and
 * __dsu_changed_names, the names of what it changes, NULL-ended. */
struct dsu_residual {
  uint64_t site;
  const char *where; /* "function 'main' at main.c:40" */
  const char *const *uses;
};

/* The calls a thread is in (each thread's __dsu_context, defined by the
 * runtime): dsu-cc code pushes a call's site id into site[depth % SLOTS]
 * and raises depth before a context call, and restores depth after it. A
 * depth above DSU_CONTEXT_SLOTS means the oldest entries were overwritten. */
#define DSU_CONTEXT_SLOTS 64
struct dsu_context {
  uint64_t depth;
  uint64_t site[DSU_CONTEXT_SLOTS];
};

/* A pointer to a relocated object held by a global at addr. */
struct dsu_global_pointer {
  void *addr;
  const char *where;
  /* 0: typed as a pointer to a changed type, so it must lead to an object
   * dsu relocates (or be null). 1: a pointer to a type that changed types
   * hold by value (a list link, a char buffer): it is redirected if it
   * points into a relocated object and left alone otherwise. 2: a pointer to
   * pointers to a changed type (a table of them, `struct item **`): it must
   * be null, lead into a relocated object (and is redirected), or point
   * into memory whose pointers dsu reads (a tracked object, a global pointer
   * slot); otherwise the pointers it leads to could not be redirected, and
   * the update is refused. */
  int inner;
  /* An array: `count` slots, `stride` bytes apart (0: one slot), named by
   * `where` with the index between its first "[]". */
  size_t count, stride;
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

/* The payload's ELF structure, checked before the dynamic loader sees it
 * (glibc's loader trusts the file: a program header pointing past the end
 * or a dynamic section without its terminator crashes the live process).
 * What the loader reads is checked: the ELF header (64-bit, this machine,
 * a shared object), the program headers inside the file, each PT_LOAD's
 * file range inside the file and congruent with its address, one
 * PT_DYNAMIC inside a PT_LOAD and ending with DT_NULL, and the section
 * header table inside the file. Returns NULL when the structure is sound,
 * else why not. Reads only within [p, p + n). */
static inline const char *dsu_check_elf(const unsigned char *p, size_t n) {
#if defined(__x86_64__)
  const unsigned machine = EM_X86_64;
#elif defined(__aarch64__)
  const unsigned machine = EM_AARCH64;
#else
  const unsigned machine = EM_NONE;
#endif
  Elf64_Ehdr eh;
  if (n < sizeof eh)
    return "the payload is too short for an ELF header";
  memcpy(&eh, p, sizeof eh);
  if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
    return "the payload is not an ELF file";
  if (eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      eh.e_ident[EI_DATA] != ELFDATA2LSB ||
      eh.e_ident[EI_VERSION] != EV_CURRENT || eh.e_version != EV_CURRENT)
    return "the payload's ELF header is not 64-bit little-endian version 1";
  if (eh.e_type != ET_DYN)
    return "the payload is not an ELF shared object";
  if (eh.e_machine != machine)
    return "the payload is for another machine";
  if (eh.e_ehsize != sizeof(Elf64_Ehdr) ||
      eh.e_phentsize != sizeof(Elf64_Phdr))
    return "the payload's ELF header has wrong entry sizes";
  if (eh.e_phnum == 0 || eh.e_phnum == 0xffff ||
      eh.e_phoff > n || (n - eh.e_phoff) / sizeof(Elf64_Phdr) < eh.e_phnum)
    return "the payload's program headers are not inside the file";
  if (eh.e_shnum != 0 &&
      (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shoff > n ||
       (n - eh.e_shoff) / sizeof(Elf64_Shdr) < eh.e_shnum))
    return "the payload's section headers are not inside the file";
  unsigned loads = 0, dynamics = 0;
  Elf64_Phdr dyn;
  memset(&dyn, 0, sizeof dyn);
  for (unsigned i = 0; i < eh.e_phnum; i++) {
    Elf64_Phdr ph;
    memcpy(&ph, p + eh.e_phoff + (size_t)i * sizeof ph, sizeof ph);
    if (ph.p_type != PT_LOAD && ph.p_type != PT_DYNAMIC)
      continue;
    if (ph.p_offset > n || ph.p_filesz > n - ph.p_offset)
      return "a program header of the payload points outside the file";
    if (ph.p_type == PT_DYNAMIC) {
      dyn = ph;
      dynamics++;
      continue;
    }
    loads++;
    if (ph.p_filesz > ph.p_memsz)
      return "a loadable segment of the payload is larger in the file than "
             "in memory";
    if (ph.p_memsz > ((uint64_t)1 << 32) || ph.p_vaddr > ((uint64_t)1 << 40))
      return "a loadable segment of the payload is implausibly large or far";
    if (ph.p_align > 1 && ((ph.p_align & (ph.p_align - 1)) != 0 ||
                           (ph.p_vaddr - ph.p_offset) % ph.p_align != 0))
      return "a loadable segment of the payload is misaligned";
  }
  if (loads == 0)
    return "the payload has no loadable segment";
  if (dynamics != 1)
    return "the payload has no dynamic section, or more than one";
  if (dyn.p_filesz < sizeof(Elf64_Dyn) || dyn.p_filesz % sizeof(Elf64_Dyn))
    return "the payload's dynamic section has a wrong size";
  int inside = 0;
  for (unsigned i = 0; i < eh.e_phnum && !inside; i++) {
    Elf64_Phdr ph;
    memcpy(&ph, p + eh.e_phoff + (size_t)i * sizeof ph, sizeof ph);
    inside = ph.p_type == PT_LOAD && dyn.p_offset >= ph.p_offset &&
             dyn.p_offset + dyn.p_filesz <= ph.p_offset + ph.p_filesz &&
             dyn.p_vaddr - dyn.p_offset == ph.p_vaddr - ph.p_offset;
  }
  if (!inside)
    return "the payload's dynamic section is not inside a loadable segment";
  size_t ndyn = (size_t)(dyn.p_filesz / sizeof(Elf64_Dyn));
  for (size_t i = 0; i < ndyn; i++) {
    Elf64_Dyn d;
    memcpy(&d, p + dyn.p_offset + i * sizeof d, sizeof d);
    if (d.d_tag == DT_NULL)
      return NULL;
  }
  return "the payload's dynamic section has no terminator";
}

/* The bytes a signature covers: the whole file with the signature and
 * header_hash fields zeroed. Both sides zero them in a copy of the header
 * and sign or verify header || payload || plan. */
static inline void dsu_signing_header(struct dsu_patch_header *h) {
  memset(h->signature, 0, sizeof h->signature);
  h->header_hash = 0;
}

/* Shared by libdsu and the runtime of merged programs (lib/Merge), so that
 * both decide alike. */

/* Whether a --force-at list ("all", or FILE:LINE,... with FILE a base
 * name) names the update point at file:line. */
static inline int dsu_forced_at(const char *force, const char *file, int line) {
  if (strcmp(force, "all") == 0)
    return 1;
  size_t flen = strlen(file);
  for (const char *p = force; *p;) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len > flen + 1 && strncmp(p, file, flen) == 0 && p[flen] == ':' &&
        strtol(p + flen + 1, NULL, 10) == line)
      return 1;
    p += len + (end ? 1 : 0);
  }
  return 0;
}

/* Whether v is the address of one of the pointer slots g lists. */
static inline int dsu_global_pointer_slot(const struct dsu_global_pointer *g,
                                          uintptr_t v) {
  uintptr_t a = (uintptr_t)g->addr;
  size_t span = g->count ? g->count * g->stride : sizeof(void *);
  return v >= a && v < a + span && (!g->count || (v - a) % g->stride == 0);
}

/* ------------------------------------------------ state transfer helpers */

/* The rules of the state transfer that runtime/dsu_heap.c applies and the
 * merged programs' model of it (lib/Merge/runtime/merge_runtime.c) repeats:
 * one definition, so that the two cannot drift apart. Each is small and
 * inlined where the runtime's loops call it. */

/* An object's tag is `want`, or `want` plus the '+' of an object with data
 * after it. */
static inline int dsu_tag_is(const char *tag, const char *want) {
  if (tag == want)
    return 1;
  if (!tag || !want)
    return 0;
  /* One pass, no library calls: the merged program runs this for every
   * tracked object against every type and field of the patch at each
   * commit, interpreted under dsu symex and dsu verify. */
  while (*want && *tag == *want) {
    tag++;
    want++;
  }
  return !*want && (*tag == 0 || (*tag == '+' && tag[1] == 0));
}

/* Whether objects tagged `tag` have data after them (a '+'). */
static inline int dsu_tag_has_data_after(const char *tag) {
  size_t n = tag ? strlen(tag) : 0;
  return n && tag[n - 1] == '+';
}

/* The bytes of the pointer array at base that are in use: all of them,
 * unless a DSU_LIVE_COUNT global of `live` counts its elements. */
static inline size_t dsu_live_bytes(const struct dsu_live_range *live,
                                    const char *base, size_t size) {
  for (const struct dsu_live_range *r = live; r && r->array; r++) {
    if (*r->array != (const void *)base)
      continue;
    uint64_t n = 0;
    switch (r->count_size) {
    case 1:
      n = *(const uint8_t *)r->count;
      break;
    case 2:
      n = *(const uint16_t *)r->count;
      break;
    case 4:
      n = *(const uint32_t *)r->count;
      break;
    default:
      n = *(const uint64_t *)r->count;
      break;
    }
    if (n < size / sizeof(void *))
      return (size_t)n * sizeof(void *);
  }
  return size;
}

/* Where byte `in` of an old element goes in its new element: 1 with *out
 * set, or 0 where the new layout keeps no counterpart (a removed or retyped
 * field). The element's start maps to the new start; data after an object
 * (from old_tail; 0: none) keeps its length from new_tail. */
static inline int dsu_new_offset(const struct dsu_field_move *moves, size_t in,
                                 size_t old_tail, size_t new_tail,
                                 size_t *out) {
  if (in == 0) {
    *out = 0;
    return 1;
  }
  if (old_tail && in >= old_tail) {
    *out = new_tail + (in - old_tail);
    return 1;
  }
  for (const struct dsu_field_move *f = moves; f && f->size; f++)
    if (in >= f->old_offset && in - f->old_offset < f->size) {
      *out = f->new_offset + (in - f->old_offset);
      return 1;
    }
  return 0;
}

/* The other way (dsu_original): where byte `in` of a new element came from,
 * or 0 for a byte the old layout did not have. */
static inline int dsu_old_offset(const struct dsu_field_move *moves, size_t in,
                                 size_t old_tail, size_t new_tail,
                                 size_t *out) {
  if (in == 0) {
    *out = 0;
    return 1;
  }
  if (new_tail && in >= new_tail) {
    *out = old_tail + (in - new_tail);
    return 1;
  }
  for (const struct dsu_field_move *f = moves; f && f->size; f++)
    if (in >= f->new_offset && in - f->new_offset < f->size) {
      *out = f->old_offset + (in - f->new_offset);
      return 1;
    }
  return 0;
}

/* The stride at which the pointer field f is checked in an object of `size`
 * bytes: the object's element size if it moved (elem), else one object of
 * the field's type or an array of them (the table gives the type's size), or
 * one object with data after it (whole). */
static inline size_t dsu_field_step(const struct dsu_pointer_field *f,
                                    size_t size, size_t elem, int whole) {
  return elem ? elem : whole || !f->elem || f->elem > size ? size : f->elem;
}

#endif /* DSU_PATCH_FORMAT_H */
