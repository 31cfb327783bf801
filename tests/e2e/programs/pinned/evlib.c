/* A stand-in for an event library such as libevent, built with plain
 * clang, not dsu-cc: it keeps the addresses it is given (the event struct
 * inside the caller's object and the callback argument) and uses them
 * later, from code dsu cannot see or fix. */
struct ev {
  int fd;
  void (*cb)(int fd, void *arg);
  void *arg;
};

static struct ev *registered[16];
static int nregistered;

void ev_register(struct ev *e, int fd, void (*cb)(int, void *), void *arg) {
  e->fd = fd;
  e->cb = cb;
  e->arg = arg;
  if (nregistered < 16)
    registered[nregistered++] = e;
}

void ev_fire_all(void) {
  for (int i = 0; i < nregistered; i++)
    registered[i]->cb(registered[i]->fd, registered[i]->arg);
}

void ev_unregister(struct ev *e) {
  for (int i = 0; i < nregistered; i++)
    if (registered[i] == e) {
      for (int j = i + 1; j < nregistered; j++)
        registered[j - 1] = registered[j];
      nregistered--;
      return;
    }
}
