/* dsu_load.c - checking a patch and loading it, before anything the program
 * can see changes.
 *
 * The patch comes as an open descriptor (from the requester, over the
 * control socket), never as a path: everything is checked and read from
 * that descriptor, so what the requester checked is what is loaded, and a
 * path swapped meanwhile (a symlink in a shared directory) or a FIFO cannot
 * change or wedge anything. The checks come before any byte is mapped:
 * a regular file, owned by the process owner or root and writable by no one
 * else, of a sane size; then magic, format, header and payload checksums and
 * the base version. The payload is copied to a memfd and dlopen'ed with
 * RTLD_NOW so that an unresolved symbol fails here, not at the commit. The
 * memfd is closed right after: the mapping keeps the code, and a process
 * that lives through thousands of updates must not keep a descriptor per
 * update.
 */
#include "dsu_internal.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(char *err, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t size, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, size, fmt, ap);
  va_end(ap);
  return -1;
}

/* Reads all of buf from fd at offset, retrying on EINTR. */
static int pread_all(int fd, char *buf, size_t size, off_t offset) {
  size_t done = 0;
  while (done < size) {
    ssize_t n = pread(fd, buf + done, size - done, offset + (off_t)done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return -1;
    done += (size_t)n;
  }
  return 0;
}

static int write_all(int fd, const char *buf, size_t size) {
  size_t done = 0;
  while (done < size) {
    ssize_t n = write(fd, buf + done, size - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return -1;
    done += (size_t)n;
  }
  return 0;
}

/* dlopen knows a loaded object by the name it was opened under: asked for a
 * name it has loaded before, it returns that object without opening the
 * file. A memfd closed after loading frees its descriptor number for the
 * next patch, whose "/proc/self/fd/N" would then name the previous patch.
 * So each load gets a name of its own: after "/proc/self/fd/", a sequence
 * number spelled with "./" for a one bit and "/" for a zero bit (a "." and
 * an empty path component, which the kernel skips), then the number. */
static void staging_name(char *out, size_t size, int fd) {
  static unsigned long sequence;
  unsigned long seq = ++sequence;
  size_t n = (size_t)snprintf(out, size, "/proc/self/fd/");
  int top = 63 - __builtin_clzl(seq);
  for (int bit = top; bit >= 0 && n + 3 < size; bit--) {
    if (seq >> bit & 1)
      out[n++] = '.';
    out[n++] = '/';
  }
  snprintf(out + n, size - n, "%d", fd);
}

int dsu_load_patch(int fd, const char *name, char *err, size_t errsize) {
  struct dsu_patch_header hdr;
  struct stat st;
  if (fstat(fd, &st) != 0)
    return fail(err, errsize, "cannot examine patch %s: %s", name,
                strerror(errno));
  if (!S_ISREG(st.st_mode))
    return fail(err, errsize, "patch %s is not a regular file", name);
  if (st.st_uid != dsu_owner_uid && st.st_uid != 0)
    return fail(err, errsize,
                "patch %s is owned by uid %d, not by the process owner (%d) "
                "or root",
                name, (int)st.st_uid, (int)dsu_owner_uid);
  if (st.st_mode & (S_IWGRP | S_IWOTH))
    return fail(err, errsize,
                "patch %s is writable by group or others (mode %03o)", name,
                (unsigned)(st.st_mode & 0777));
  if (st.st_size < (off_t)sizeof hdr)
    return fail(err, errsize, "patch %s is truncated (%lld bytes)", name,
                (long long)st.st_size);
  if (st.st_size > ((off_t)1 << 30))
    return fail(err, errsize, "patch %s is too large (%lld bytes)", name,
                (long long)st.st_size);
  size_t size = (size_t)st.st_size;
  char *buf = malloc(size);
  if (!buf)
    return fail(err, errsize, "out of memory reading patch %s", name);
  if (pread_all(fd, buf, size, 0) != 0) {
    free(buf);
    return fail(err, errsize, "cannot read patch %s (it changed while being "
                              "read?)", name);
  }
  memcpy(&hdr, buf, sizeof hdr);
  int rc = -1;
  uint64_t hh = hdr.header_hash;
  hdr.header_hash = 0;
  if (memcmp(hdr.magic, DSU_PATCH_MAGIC, 8) != 0) {
    fail(err, errsize, "%s is not a dsu patch (bad magic)", name);
    goto out;
  }
  if (hdr.format != DSU_PATCH_FORMAT || hdr.header_size != sizeof hdr) {
    fail(err, errsize, "patch %s has unsupported format %u", name,
         (unsigned)hdr.format);
    goto out;
  }
  if (dsu_fnv1a64(&hdr, sizeof hdr) != hh) {
    fail(err, errsize, "patch %s is corrupt (header checksum mismatch)", name);
    goto out;
  }
  if (hdr.payload_size > size - sizeof hdr ||
      hdr.plan_size != size - sizeof hdr - hdr.payload_size) {
    fail(err, errsize, "patch %s is truncated or corrupt (size mismatch)",
         name);
    goto out;
  }
  if (dsu_fnv1a64(buf + sizeof hdr, hdr.payload_size) != hdr.payload_hash) {
    fail(err, errsize, "patch %s is corrupt (payload checksum mismatch)",
         name);
    goto out;
  }
  hdr.base_version[DSU_VERSION_ID_SIZE - 1] = 0;
  hdr.target_version[DSU_VERSION_ID_SIZE - 1] = 0;
  pthread_mutex_lock(&dsu_lock);
  int wrong_base = strcmp(hdr.base_version, dsu_running_version) != 0;
  char running[DSU_VERSION_ID_SIZE + 1];
  snprintf(running, sizeof running, "%s", dsu_running_version);
  pthread_mutex_unlock(&dsu_lock);
  if (wrong_base) {
    fail(err, errsize,
         "patch %s is for version %s but the process runs version %s", name,
         hdr.base_version, running);
    goto out;
  }
  int mfd = memfd_create("dsu-patch", MFD_CLOEXEC);
  if (mfd < 0 || write_all(mfd, buf + sizeof hdr, hdr.payload_size) != 0) {
    fail(err, errsize, "cannot stage patch %s: %s", name, strerror(errno));
    if (mfd >= 0)
      close(mfd);
    goto out;
  }
  char load_name[sizeof dsu_req.load_name];
  staging_name(load_name, sizeof load_name, mfd);
  void *handle = dlopen(load_name, RTLD_NOW | RTLD_LOCAL);
  close(mfd);
  if (!handle) {
    const char *why = dlerror();
    const char *colon = why ? strstr(why, ": ") : NULL;
    fail(err, errsize, "cannot load patch %s: %s", name,
         colon ? colon + 2 : (why ? why : "unknown error"));
    goto out;
  }
  const struct dsu_patch_info *info = dlsym(handle, "__dsu_patch_info");
  if (!info || info->abi != DSU_PATCH_ABI ||
      strcmp(info->base_version, hdr.base_version) != 0 ||
      strcmp(info->target_version, hdr.target_version) != 0) {
    fail(err, errsize, "patch %s is inconsistent (its code does not match "
                       "its header)",
         name);
    dlclose(handle);
    goto out;
  }
  for (uint32_t i = 0; i < info->nrebind; i++)
    if (!info->rebind[i].slot || !info->rebind[i].body) {
      fail(err, errsize, "patch %s has an unresolved function %s", name,
           info->rebind[i].name);
      dlclose(handle);
      goto out;
    }
  struct request *req = &dsu_req;
  req->handle = handle;
  snprintf(req->load_name, sizeof req->load_name, "%s", load_name);
  req->info = info;
  req->types = dlsym(handle, "__dsu_type_xforms");
  req->globals = dlsym(handle, "__dsu_global_xforms");
  req->fields = dlsym(handle, "__dsu_pointer_fields");
  req->gptrs = dlsym(handle, "__dsu_global_pointers");
  req->hooks = dlsym(handle, "__dsu_hooks");
  req->live = dlsym(handle, "__dsu_live_ranges");
  req->unsafe = dlsym(handle, "__dsu_unsafe_points");
  memset(&req->stats, 0, sizeof req->stats);
  req->failure[0] = 0;
  rc = 0;
out:
  free(buf);
  return rc;
}

void dsu_make_patch_global(const char *load_name) {
  /* RTLD_NOLOAD finds the object by its name alone; nothing is opened. */
  if (!dlopen(load_name, RTLD_NOW | RTLD_NOLOAD | RTLD_GLOBAL))
    dsu_warn("cannot make patch symbols global: %s", dlerror());
}
