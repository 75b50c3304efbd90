#include <fcntl.h>

#include <cerrno>

#include "../loop.h"
#include "watchers.h"

namespace greenhub {

EvIo::EvIo(Loop& loop, EvBackend& backend, int fd, int events) : IoWatcher(loop, fd, events), backend_(backend) {
  ev_init(&io_, OnEvent);
  io_.data = this;
}

void EvIo::OnEvent(struct ev_loop*, ev_io* w, int revents) {
  auto* self = static_cast<EvIo*>(w->data);
  if (revents & EV_ERROR) {
    // libev's fd_kill(): epoll_ctl refused the fd and libev stopped the
    // watcher itself.
    self->backend_.EvStoppedItself(self->ref());
    self->backend_.Deactivated(self->ref());
    self->backend_.fds().Remove(self);
    self->backend_.FdsChanged();
    self->Fail();
    return;
  }
  self->Deliver(revents & (EV_READ | EV_WRITE));
}

int EvIo::DoStart() {
  if (backend_.broken()) return -EBADF;
  // libev asserts (aborts) when epoll_ctl answers EINVAL or ELOOP: adding
  // libev's own epoll fd to itself, or Node's, which already polls libev's.
  if (fd_ == backend_.backend_fd() || fd_ == uv_backend_fd(loop().uv())) return -EINVAL;
  if (fcntl(fd_, F_GETFD) == -1) return -errno;
  // ev_io_set (EV__IOFDSET) makes libev call epoll_ctl at the next reify
  // even when the fd's mask is unchanged: the number may now name another
  // file. Only a new or Set() watcher needs that; a restart does not.
  bool settings_changed = TakeFdSet();
  if (settings_changed) ev_io_set(&io_, fd_, events_);
  ev_set_priority(&io_, priority());
  ev_io_start(backend_.ev(), &io_);
  backend_.EvStarted(ref());
  backend_.Activated(ref());
  backend_.fds().Add(this, settings_changed);
  backend_.FdsChanged();
  return 0;
}

void EvIo::Detach() {
  backend_.EvStopping(&io_, ref());
  ev_io_stop(backend_.ev(), &io_);
  backend_.Deactivated(ref());
  backend_.fds().Remove(this);
  backend_.FdsChanged();
}

void EvIo::DoStop() { Detach(); }

void EvIo::DoRef(bool ref) {
  if (active()) backend_.RefChanged(&io_, ref);
}

void EvIo::DoClose() { Closed(); }

}  // namespace greenhub
