#include "libev_private.h"

#include <cerrno>
#include <limits>

namespace greenhub {

int LibevBackendFd(struct ev_loop* loop) {
  // libev has no backend-fd getter (no ev_backend_fd in 4.33), but
  // ev_embed_start() copies the embedded loop's backend_fd into the embed
  // watcher's io.fd. A host loop on the poll or select backend opens no fd of
  // its own, and it never runs: starting and stopping the embed watcher on it
  // only touches the host's arrays, never `loop`.
  if ((ev_backend(loop) & ev_embeddable_backends()) == 0) {
    // ev_embed_start() asserts (aborts) on a loop that cannot be embedded.
    return -ENOTSUP;
  }
  struct ev_loop* host = ev_loop_new(EVBACKEND_POLL | EVBACKEND_SELECT | EVFLAG_NOENV | EVFLAG_NOSIGMASK |
                                     EVFLAG_NOINOTIFY | EVFLAG_NOTIMERFD);
  if (host == nullptr) return -ENOMEM;
  ev_embed embed;
  ev_embed_init(&embed, nullptr, loop);
  ev_embed_start(host, &embed);
  int fd = embed.io.fd;  // private member, read only here
  ev_embed_stop(host, &embed);
  ev_loop_destroy(host);
  return fd >= 0 ? fd : -EBADF;
}

double LibevStatPollRemaining(struct ev_loop* loop, ev_stat* stat) {
  // ev_stat polls with an ev_timer inside the watcher (stat->timer, private):
  // always without inotify, and on file systems libev does not trust inotify
  // for. Node's loop must wake for it like for any libev timer.
  ev_timer* timer = &stat->timer;
  if (!ev_is_active(timer)) return std::numeric_limits<double>::infinity();
  return ev_timer_remaining(loop, timer);
}

}  // namespace greenhub
