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
 *
 * Signatures. A program built with -fdsu-trusted-key=FILE (the keys are
 * embedded as __dsu_trusted_keys), or else a process started with
 * DSU_TRUSTED_KEYS=FILE (read once, at start-up, by secure_getenv: a
 * set-user-ID program ignores it), loads only
 * patches signed by one of the Ed25519 public keys in FILE, one hex key a
 * line; FILE must be a regular file owned by root or the process owner and
 * writable by no one else. If FILE cannot be used, every patch is refused
 * with the reason: a process that asked for signatures never falls back to
 * loading unsigned code. The verification is libsodium's, opened with
 * dlopen only in such a process: libdsu is linked into every program and
 * stays free of dependencies beyond libc, libdl and pthreads, and a process
 * that does not ask for signatures pays nothing. If libsodium cannot be
 * opened, every patch is refused.
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

#define DSU_MAX_TRUSTED_KEYS 16
static unsigned char trusted_keys[DSU_MAX_TRUSTED_KEYS][DSU_SIGN_KEY_SIZE];
static int ntrusted;     /* keys read from DSU_TRUSTED_KEYS */
static int require_sig;  /* DSU_TRUSTED_KEYS was set */
static char keys_error[256]; /* why the keys cannot be used, or "" */
typedef int (*verify_fn)(const unsigned char *sig, const unsigned char *m,
                         unsigned long long mlen, const unsigned char *pk);
static verify_fn sodium_verify;

static int hexval(int c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Parses the trusted key file's text: one 64-digit hex key a line, blank
 * lines and lines starting with '#' ignored. */
int dsu_parse_trusted_keys(const char *text, size_t size, char *err,
                           size_t errsize) {
  ntrusted = 0;
  size_t i = 0;
  int line = 0;
  while (i < size) {
    size_t end = i;
    while (end < size && text[end] != '\n')
      end++;
    line++;
    size_t a = i, b = end;
    while (a < b && (text[a] == ' ' || text[a] == '\t' || text[a] == '\r'))
      a++;
    while (b > a && (text[b - 1] == ' ' || text[b - 1] == '\t' ||
                     text[b - 1] == '\r'))
      b--;
    i = end + 1;
    if (a == b || text[a] == '#')
      continue;
    if (b - a != 2 * DSU_SIGN_KEY_SIZE)
      return fail(err, errsize, "line %d is not a %d-digit hex public key",
                  line, 2 * DSU_SIGN_KEY_SIZE);
    if (ntrusted == DSU_MAX_TRUSTED_KEYS)
      return fail(err, errsize, "more than %d keys", DSU_MAX_TRUSTED_KEYS);
    for (int k = 0; k < DSU_SIGN_KEY_SIZE; k++) {
      int hi = hexval(text[a + 2 * k]), lo = hexval(text[a + 2 * k + 1]);
      if (hi < 0 || lo < 0)
        return fail(err, errsize, "line %d is not a hex public key", line);
      trusted_keys[ntrusted][k] = (unsigned char)(hi << 4 | lo);
    }
    ntrusted++;
  }
  if (ntrusted == 0)
    return fail(err, errsize, "no key in it");
  return 0;
}

/* Keys embedded by dsu-cc -fdsu-trusted-key=FILE (one hex key a line). */
extern const char __dsu_trusted_keys[] __attribute__((weak));

static void open_sodium(char *why, size_t size) {
  /* libsodium's soname of Debian 12 and later. */
  void *h = dlopen("libsodium.so.23", RTLD_NOW | RTLD_LOCAL);
  int (*init)(void) = h ? (int (*)(void))dlsym(h, "sodium_init") : NULL;
  sodium_verify =
      h ? (verify_fn)dlsym(h, "crypto_sign_ed25519_verify_detached") : NULL;
  if (!init || !sodium_verify || init() < 0) {
    sodium_verify = NULL;
    snprintf(why, size, "libsodium (libsodium.so.23) cannot be loaded to "
             "verify signatures");
  }
}

/* Runs before main, after the dynamic loader, with the environment the
 * process was started with. Keys built into the program win: the
 * environment cannot add a key to a program built to trust only its own. */
__attribute__((constructor)) static void dsu_load_keys(void) {
  char why[200] = "";
  if (__dsu_trusted_keys) {
    require_sig = 1;
    if (dsu_parse_trusted_keys(__dsu_trusted_keys, strlen(__dsu_trusted_keys),
                               why, sizeof why) == 0)
      open_sodium(why, sizeof why);
    if (why[0])
      snprintf(keys_error, sizeof keys_error, "the keys built into the "
               "program cannot be used (%s); no patch is loaded", why);
    return;
  }
  const char *path = secure_getenv(DSU_ENV_TRUSTED_KEYS);
  if (!path)
    return;
  require_sig = 1;
  struct stat st;
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
  char text[DSU_MAX_TRUSTED_KEYS * 80];
  ssize_t n = -1;
  if (fd < 0 || fstat(fd, &st) != 0)
    snprintf(why, sizeof why, "%s", strerror(errno));
  else if (!S_ISREG(st.st_mode))
    snprintf(why, sizeof why, "not a regular file");
  else if (st.st_uid != 0 && st.st_uid != geteuid())
    snprintf(why, sizeof why, "owned by uid %d, not by root or the process "
             "owner", (int)st.st_uid);
  else if (st.st_mode & (S_IWGRP | S_IWOTH))
    snprintf(why, sizeof why, "writable by group or others");
  else if (st.st_size >= (off_t)sizeof text ||
           (n = pread(fd, text, sizeof text, 0)) != st.st_size)
    snprintf(why, sizeof why, "too large or unreadable");
  else if (dsu_parse_trusted_keys(text, (size_t)n, why, sizeof why) != 0)
    ;
  else
    open_sodium(why, sizeof why);
  if (fd >= 0)
    close(fd);
  if (why[0])
    snprintf(keys_error, sizeof keys_error, "the trusted keys %.60s cannot be "
             "used (%s); no patch is loaded", path, why);
}

/* The signature policy: with no trusted keys, any patch (a signed one's
 * signature is checked by dsu apply, not here: nothing trusts its key);
 * with them, only a patch whose signature verifies under one of them. */
static int check_signature(char *buf, size_t size,
                           const struct dsu_patch_header *hdr,
                           const char *name, char *err, size_t errsize) {
  if (!require_sig)
    return 0;
  if (keys_error[0])
    return fail(err, errsize, "patch %s refused: %s", name, keys_error);
  if (!(hdr->flags & DSU_PATCH_SIGNED))
    return fail(err, errsize, "patch %s is not signed, and this process "
                "loads only patches signed by a trusted key", name);
  int known = -1;
  for (int k = 0; k < ntrusted && known < 0; k++)
    if (memcmp(trusted_keys[k], hdr->signer, DSU_SIGN_KEY_SIZE) == 0)
      known = k;
  char id[17];
  for (int k = 0; k < 8; k++)
    snprintf(id + 2 * k, 3, "%02x", hdr->signer[k]);
  if (known < 0)
    return fail(err, errsize, "patch %s is signed by key %s..., which this "
                "process does not trust", name, id);
  /* The signed bytes: the file with signature and header_hash zeroed. buf
   * is ours; the header is not read from it again. */
  struct dsu_patch_header s = *hdr;
  dsu_signing_header(&s);
  memcpy(buf, &s, sizeof s);
  if (sodium_verify(hdr->signature, (const unsigned char *)buf, size,
                    trusted_keys[known]) != 0)
    return fail(err, errsize, "patch %s has a bad signature (changed after "
                "it was signed by key %s...)", name, id);
  return 0;
}

/* Every check that needs only the bytes (and the trusted keys): the header,
 * the three checksums, the flags, the signature and the payload's ELF
 * structure. The base version is the caller's (it needs the lock). buf's
 * header bytes may be overwritten. Also the fuzz target's entry point. */
int dsu_check_patch(char *buf, size_t size, const char *name,
                    struct dsu_patch_header *out, char *err, size_t errsize) {
  struct dsu_patch_header hdr;
  if (size < sizeof hdr)
    return fail(err, errsize, "patch %s is truncated (%zu bytes)", name, size);
  memcpy(&hdr, buf, sizeof hdr);
  uint64_t hh = hdr.header_hash;
  hdr.header_hash = 0;
  if (memcmp(hdr.magic, DSU_PATCH_MAGIC, 8) != 0)
    return fail(err, errsize, "%s is not a dsu patch (bad magic)", name);
  if (hdr.format != DSU_PATCH_FORMAT || hdr.header_size != sizeof hdr)
    return fail(err, errsize, "patch %s has unsupported format %u", name,
                (unsigned)hdr.format);
  if (dsu_fnv1a64(&hdr, sizeof hdr) != hh)
    return fail(err, errsize, "patch %s is corrupt (header checksum mismatch)",
                name);
  hdr.header_hash = hh;
  if (hdr.payload_size > size - sizeof hdr ||
      hdr.plan_size != size - sizeof hdr - hdr.payload_size)
    return fail(err, errsize, "patch %s is truncated or corrupt (size "
                "mismatch)", name);
  const char *payload = buf + sizeof hdr;
  if (dsu_fnv1a64(payload, hdr.payload_size) != hdr.payload_hash)
    return fail(err, errsize, "patch %s is corrupt (payload checksum "
                "mismatch)", name);
  if (dsu_fnv1a64(payload + hdr.payload_size, hdr.plan_size) != hdr.plan_hash)
    return fail(err, errsize, "patch %s is corrupt (plan checksum mismatch)",
                name);
  if ((hdr.flags & ~DSU_PATCH_SIGNED) || hdr.reserved)
    return fail(err, errsize, "patch %s has unsupported flags %#x", name,
                (unsigned)hdr.flags);
  if (check_signature(buf, size, &hdr, name, err, errsize) != 0)
    return -1;
  const char *why =
      dsu_check_elf((const unsigned char *)payload, hdr.payload_size);
  if (why)
    return fail(err, errsize, "patch %s is malformed: %s", name, why);
  *out = hdr;
  return 0;
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
  int rc = -1;
  if (dsu_check_patch(buf, size, name, &hdr, err, errsize) != 0)
    goto out;
  /* Every byte of the field counts: the running id NUL-padded to the
   * field's size against the field as it is. */
  char base[DSU_VERSION_ID_SIZE + 1], target[DSU_VERSION_ID_SIZE + 1];
  memcpy(base, hdr.base_version, DSU_VERSION_ID_SIZE);
  memcpy(target, hdr.target_version, DSU_VERSION_ID_SIZE);
  base[DSU_VERSION_ID_SIZE] = target[DSU_VERSION_ID_SIZE] = 0;
  char running[DSU_VERSION_ID_SIZE + 1], padded[DSU_VERSION_ID_SIZE];
  pthread_mutex_lock(&dsu_lock);
  snprintf(running, sizeof running, "%s", dsu_running_version);
  pthread_mutex_unlock(&dsu_lock);
  memset(padded, 0, sizeof padded);
  memcpy(padded, running, strlen(running));
  if (memcmp(padded, hdr.base_version, DSU_VERSION_ID_SIZE) != 0) {
    for (char *c = base; *c; c++) /* a message, not the raw bytes */
      if (*c < 0x20 || *c > 0x7e)
        *c = '?';
    fail(err, errsize,
         "patch %s is for version %s but the process runs version %s", name,
         base, running);
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
      strcmp(info->base_version, base) != 0 ||
      strcmp(info->target_version, target) != 0) {
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
  const char *const *migrated = dlsym(handle, "__dsu_migrated_bodies");
  if (dsu_check_migrations(migrated, err, errsize) != 0) {
    dlclose(handle);
    goto out;
  }
  struct request *req = &dsu_req;
  req->migrated = migrated;
  req->handle = handle;
  snprintf(req->load_name, sizeof req->load_name, "%s", load_name);
  req->info = info;
  req->types = dlsym(handle, "__dsu_type_xforms");
  req->globals = dlsym(handle, "__dsu_global_xforms");
  req->inits = dlsym(handle, "__dsu_global_inits");
  req->fields = dlsym(handle, "__dsu_pointer_fields");
  req->gptrs = dlsym(handle, "__dsu_global_pointers");
  req->hooks = dlsym(handle, "__dsu_hooks");
  req->live = dlsym(handle, "__dsu_live_ranges");
  req->points = dlsym(handle, "__dsu_points");
  req->residuals = dlsym(handle, "__dsu_residuals");
  req->base_sites = dlsym(handle, "__dsu_base_sites");
  req->changed_names = dlsym(handle, "__dsu_changed_names");
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
