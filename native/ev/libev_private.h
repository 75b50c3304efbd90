// The two things the ev backend needs from libev 4.33 that its public API
// does not give: a loop's backend fd and an ev_stat's polling deadline. Both
// live in struct members that ev.h marks "private: you may look at them, but
// not change them". Every such read is in libev_private.cc, read-only, so
// that a libev upgrade has exactly one place to check.
#ifndef GREENHUB_EV_LIBEV_PRIVATE_H_
#define GREENHUB_EV_LIBEV_PRIVATE_H_

#include <ev.h>

namespace greenhub {

// The epoll fd of `loop` (the fd Node's loop must poll to learn that libev
// has events), or a negative errno. Costs a throwaway select-backend loop:
// call it at start-up and when libev recreated its epoll set, not per turn.
int LibevBackendFd(struct ev_loop* loop);

// Seconds until the ev_stat's polling timer fires (negative when overdue),
// or infinity when it is not polling (inotify watches the path on a local file system).
double LibevStatPollRemaining(struct ev_loop* loop, ev_stat* stat);

}  // namespace greenhub

#endif  // GREENHUB_EV_LIBEV_PRIVATE_H_
