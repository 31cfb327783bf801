/* control_fuzz.c - libFuzzer target for the control protocol as the runtime
 * reads it: the bytes of one connection (frames, lengths, verbs, APPLY's
 * arguments), served by dsu_control_serve() over a socketpair, as the
 * control thread serves a client. The peer is this process, so the uid
 * check passes and the request parser is reached.
 *
 *   ninja -C build dsu-fuzz-control
 *   DSU_DISABLE=1 build/bin/dsu-fuzz-control build/fuzz/control \
 *       runtime/fuzz/corpus -max_total_time=600
 */
#include "dsu_internal.h"

#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int sv[2];
  if (size > 1 << 16 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
    return 0;
  /* The whole input, then end of stream: nothing waits for the deadline. */
  size_t done = 0;
  while (done < size) {
    ssize_t n = write(sv[0], data + done, size - done);
    if (n <= 0)
      break;
    done += (size_t)n;
  }
  shutdown(sv[0], SHUT_WR);
  dsu_control_serve(sv[1]);
  char reply[4096];
  while (read(sv[0], reply, sizeof reply) > 0) {
  }
  close(sv[0]);
  return 0;
}
