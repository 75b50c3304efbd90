#include "fd_poller.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "../watchers/io.h"

namespace greenhub {

namespace {

constexpr int kMaxEventsPerPoll = 512;

uint32_t EpollMask(int events) {
  return ((events & kRead) ? EPOLLIN : 0u) | ((events & kWrite) ? EPOLLOUT : 0u);
}

int ReventsOf(uint32_t epoll_events) {
  // Errors and hangups wake both readers and writers, as in libev.
  return ((epoll_events & (EPOLLIN | EPOLLERR | EPOLLHUP)) ? kRead : 0) |
         ((epoll_events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) ? kWrite : 0);
}

}  // namespace

int FdPoller::Init(uv_loop_t* uv) {
  uv_ = uv;
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) return -errno;
  int err = uv_poll_init(uv, &poll_, epfd_);
  if (err != 0) {
    (void)close(epfd_);
    epfd_ = -1;
    return err;
  }
  uv_idle_init(uv, &spin_);  // cannot fail
  poll_.data = this;
  spin_.data = this;
  open_handles_ = 2;
  init_ = true;
  return 0;
}

FdPoller::FdEntry* FdPoller::Entry(int fd, bool create) {
  if (static_cast<size_t>(fd) >= fds_.size()) {
    if (!create) return nullptr;
    fds_.resize(static_cast<size_t>(fd) + 1);
  }
  if (!fds_[fd] && create) fds_[fd] = std::make_unique<FdEntry>();
  return fds_[fd].get();
}

void FdPoller::MarkDirty(int fd, FdEntry* entry) {
  if (entry->dirty) return;
  entry->dirty = true;
  dirty_.push_back(fd);
}

int FdPoller::Attach(IoWatcher* watcher) {
  FdEntry* entry = Entry(watcher->fd(), true);
  entry->watchers.push_back(watcher);
  if (watcher->TakeFdSet()) entry->recheck = true;
  MarkDirty(watcher->fd(), entry);
  active_++;
  if (watcher->ref()) refs_++;
  poll_error_ = 0;
  // On error every watcher was stopped, this one included.
  UpdateHandles();
  return poll_error_;
}

void FdPoller::Detach(IoWatcher* watcher) {
  FdEntry* entry = Entry(watcher->fd(), false);
  if (entry == nullptr) return;
  auto& list = entry->watchers;
  auto it = std::find(list.begin(), list.end(), watcher);
  if (it == list.end()) return;
  list.erase(it);
  MarkDirty(watcher->fd(), entry);
  active_--;
  if (watcher->ref()) refs_--;
  UpdateHandles();
}

void FdPoller::Ref(bool ref) {
  refs_ += ref ? 1 : -1;
  UpdateHandles();
}

void FdPoller::UpdateHandles() {
  if (!init_) return;
  uv_handle_t* poll = reinterpret_cast<uv_handle_t*>(&poll_);
  if (active_ > 0 && !uv_is_active(poll)) {
    int err = uv_poll_start(&poll_, UV_READABLE, [](uv_poll_t* handle, int, int) {
      static_cast<FdPoller*>(handle->data)->OnReady();
    });
    if (err != 0) {
      // The epoll fd itself cannot fail to poll unless it was closed behind
      // our back; every watcher hears about it.
      poll_error_ = err;
      for (auto& entry : fds_) {
        if (entry) StopWatchers(entry.get());
      }
    }
  }
  if (active_ == 0 && uv_is_active(poll)) {
    uv_poll_stop(&poll_);
  }
  if (refs_ > 0) {
    uv_ref(poll);
  } else {
    uv_unref(poll);
  }
  uv_handle_t* spin = reinterpret_cast<uv_handle_t*>(&spin_);
  bool spin_needed = false;
  for (int fd : always_ready_) {
    FdEntry* entry = Entry(fd, false);
    if (entry != nullptr && !entry->watchers.empty()) spin_needed = true;
  }
  if (spin_needed && !uv_is_active(spin)) {
    uv_idle_start(&spin_, [](uv_idle_t* handle) { static_cast<FdPoller*>(handle->data)->DeliverAlwaysReady(); });
  } else if (!spin_needed && uv_is_active(spin)) {
    uv_idle_stop(&spin_);
  }
  if (refs_ > 0) {
    uv_ref(spin);
  } else {
    uv_unref(spin);
  }
}

void FdPoller::Reify() {
  if (dirty_.empty()) return;
  std::vector<int> dirty;
  dirty.swap(dirty_);
  bool handles_changed = false;
  for (int fd : dirty) {
    FdEntry* entry = Entry(fd, false);
    if (entry == nullptr) continue;
    entry->dirty = false;
    bool recheck = entry->recheck;
    entry->recheck = false;
    int want = 0;
    for (IoWatcher* watcher : entry->watchers) want |= watcher->events();
    if (entry->always_ready) {
      if (want == 0) {
        entry->always_ready = false;
        always_ready_.erase(std::remove(always_ready_.begin(), always_ready_.end(), fd), always_ready_.end());
        handles_changed = true;
      }
      continue;
    }
    // A closed fd leaves the kernel's set by itself: when a new watcher
    // comes, the number may name a new file, so the registration is made
    // again (ENOENT below turns MOD into ADD).
    if (want == entry->registered && !(recheck && want != 0)) continue;
    struct epoll_event event = {};
    event.events = EpollMask(want);
    event.data.fd = fd;
    int op = want == 0 ? EPOLL_CTL_DEL : entry->registered == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
    int result = epoll_ctl(epfd_, op, fd, &event);
    // The kernel drops closed fds from the set by itself, so our idea of
    // what is registered can be stale: retry with the other verb.
    if (result != 0 && errno == EEXIST && op == EPOLL_CTL_ADD) result = epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &event);
    if (result != 0 && errno == ENOENT && op == EPOLL_CTL_MOD) result = epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &event);
    if (result != 0 && errno == ENOENT && op == EPOLL_CTL_DEL) result = 0;
    if (result == 0) {
      entry->registered = want;
    } else if (errno == EPERM) {
      // Regular files and directories cannot be polled: they are always
      // ready, as libev treats them.
      entry->registered = 0;
      entry->always_ready = true;
      always_ready_.push_back(fd);
      handles_changed = true;
    } else {
      entry->registered = 0;
      StopWatchers(entry);
      handles_changed = true;
    }
  }
  if (handles_changed) UpdateHandles();
}

void FdPoller::StopWatchers(FdEntry* entry) {
  // A closed or unusable fd: every watcher on it stops and hears an error.
  std::vector<IoWatcher*> watchers;
  watchers.swap(entry->watchers);
  for (IoWatcher* watcher : watchers) {
    active_--;
    if (watcher->ref()) refs_--;
    watcher->Fail();
  }
}

void FdPoller::OnReady() {
  struct epoll_event events[kMaxEventsPerPoll];
  int count = epoll_wait(epfd_, events, kMaxEventsPerPoll, 0);
  for (int i = 0; i < count; i++) {
    FdEntry* entry = Entry(events[i].data.fd, false);
    if (entry == nullptr) continue;
    int revents = ReventsOf(events[i].events);
    for (IoWatcher* watcher : entry->watchers) watcher->Deliver(revents);
  }
}

void FdPoller::DeliverAlwaysReady() {
  for (int fd : always_ready_) {
    FdEntry* entry = Entry(fd, false);
    if (entry == nullptr) continue;
    for (IoWatcher* watcher : entry->watchers) watcher->Deliver(kRead | kWrite);
  }
}

void FdPoller::Close(std::function<void()> done) {
  if (!init_) {
    done();
    return;
  }
  on_closed_ = std::move(done);
  auto on_close = [](uv_handle_t* handle) {
    auto* self = static_cast<FdPoller*>(handle->data);
    if (--self->open_handles_ > 0) return;
    (void)close(self->epfd_);  // nothing to do about a failing close
    self->epfd_ = -1;
    self->init_ = false;
    self->on_closed_();
  };
  uv_close(reinterpret_cast<uv_handle_t*>(&poll_), on_close);
  uv_close(reinterpret_cast<uv_handle_t*>(&spin_), on_close);
}

}  // namespace greenhub
