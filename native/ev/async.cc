#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>

#include "watchers.h"

namespace greenhub {

EvAsync::EvAsync(Loop& loop, EvBackend& backend) : AsyncWatcher(loop), backend_(backend) {
  ev_async_init(&async_, OnAsync);
  async_.data = this;
}

void EvAsync::OnAsync(struct ev_loop*, ev_async* w, int) {
  auto* self = static_cast<EvAsync*>(w->data);
  if (self->active()) self->Emit(kAsync);
}

int EvAsync::DoStart() {
  if (!backend_.evpipe_ready()) {
    if (backend_.broken()) return -EBADF;
    // The loop's first ev_async_start creates libev's eventfd, retrying
    // forever (through the syserr callback) when no fd is left. Ask first.
    int probe = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (probe < 0) return -errno;
    close(probe);
  }
  ev_set_priority(&async_, priority());
  ev_async_start(backend_.ev(), &async_);
  if (!backend_.evpipe_ready()) {
    backend_.set_evpipe_ready();
    backend_.InternalFdsMayChange();
  }
  accepting_.store(true, std::memory_order_release);
  backend_.EvStarted(ref());
  backend_.Activated(ref());
  return 0;
}

void EvAsync::Send() {
  // Any thread. A stopped watcher drops sends (and libev asserts on a send
  // to a loop whose pipe was never created).
  if (!accepting_.load(std::memory_order_acquire)) return;
  ev_async_send(backend_.ev(), &async_);
  backend_.AsyncSent();
}

void EvAsync::DoStop() {
  accepting_.store(false, std::memory_order_release);
  backend_.EvStopping(&async_, ref());
  ev_async_stop(backend_.ev(), &async_);
  backend_.Deactivated(ref());
}

void EvAsync::DoRef(bool ref) {
  if (active()) backend_.RefChanged(&async_, ref);
}

void EvAsync::DoClose() {
  Unregister();  // first: afterwards no other thread can reach Send()
  accepting_.store(false, std::memory_order_release);
  Closed();
}

}  // namespace greenhub
