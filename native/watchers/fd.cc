#include "fd.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>

#include "../binding.h"

namespace greenhub {

namespace {

constexpr int kMaxEventsPerPoll = 512;

// The default FdWatcher: registered in the loop's EdgePoller from start to
// stop (or close).
class EdgeFd : public FdWatcher {
 public:
  EdgeFd(Loop& loop, int fd) : FdWatcher(loop, fd) {}

 protected:
  int DoStart() override { return loop().edge_poller().Add(this); }
  void DoStop() override { loop().edge_poller().Remove(this); }
  // Liveness follows waiting greenlets, not registrations (see EdgePoller).
  void DoRef(bool) override {}
  void DoClose() override { Closed(); }
};

}  // namespace

FdWatcher::FdWatcher(Loop& loop, int fd) : Watcher(loop, Kind::kFd), fd_(fd) {}

void FdWatcher::Ready(int bits, uint8_t sticky) {
  uint8_t& state = loop().fd_state(id());
  state |= static_cast<uint8_t>(bits) | sticky;
  int wake = (state >> 2) & bits;
  if (wake != 0) {
    state &= static_cast<uint8_t>(~(wake << 2));
    Emit(wake);
  }
}

int EdgePoller::Init() {
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) return -errno;
  int err = uv_poll_init(loop_.uv(), &poll_, epfd_);
  if (err != 0) {
    close(epfd_);
    epfd_ = -1;
    return err;
  }
  poll_.data = this;
  open_handles_ = 1;
  err = uv_poll_start(&poll_, UV_READABLE, [](uv_poll_t* handle, int, int) {
    static_cast<EdgePoller*>(handle->data)->OnReady();
  });
  if (err == 0) err = uv_prepare_init(loop_.uv(), &prepare_);
  if (err != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(&poll_), nullptr);
    return err;
  }
  prepare_.data = this;
  open_handles_ = 2;
  uv_prepare_start(&prepare_, [](uv_prepare_t* handle) { static_cast<EdgePoller*>(handle->data)->FollowWaiters(); });
  uv_unref(reinterpret_cast<uv_handle_t*>(&prepare_));
  uv_unref(reinterpret_cast<uv_handle_t*>(&poll_));
  init_ = true;
  return 0;
}

int EdgePoller::Add(FdWatcher* watcher) {
  if (!init_) {
    int err = Init();
    if (err != 0) return err;
  }
  struct epoll_event event = {};
  event.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  event.data.u32 = static_cast<uint32_t>(watcher->id());
  if (epoll_ctl(epfd_, EPOLL_CTL_ADD, watcher->fd(), &event) != 0) {
    int err = errno;
    // A regular file cannot be polled: it is always ready, and JS never
    // has to wait on it.
    if (err != EPERM) return -err;
  }
  // Optimistic: a fresh fd is tried first; EAGAIN clears the bit.
  loop_.fd_state(watcher->id()) = kFdReadyRead | kFdReadyWrite;
  return 0;
}

void EdgePoller::Remove(FdWatcher* watcher) {
  struct epoll_event unused = {};
  // ENOENT/EBADF: the fd was closed already, which removed it.
  epoll_ctl(epfd_, EPOLL_CTL_DEL, watcher->fd(), &unused);
  loop_.fd_state(watcher->id()) = 0;
}

void EdgePoller::OnReady() {
  struct epoll_event events[kMaxEventsPerPoll];
  int count = epoll_wait(epfd_, events, kMaxEventsPerPoll, 0);
  for (int i = 0; i < count; i++) {
    Watcher* watcher = loop_.Get(static_cast<int32_t>(events[i].data.u32));
    if (watcher == nullptr || watcher->kind() != Kind::kFd || !watcher->active()) continue;
    uint32_t e = events[i].events;
    int bits = ((e & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)) ? kRead : 0) |
               ((e & (EPOLLOUT | EPOLLERR | EPOLLHUP)) ? kWrite : 0);
    // A FIN can come in the same edge as the last data: a short read of
    // that data must not hide it, so EOF stays set.
    uint8_t sticky = ((e & EPOLLRDHUP) ? kFdEof : 0) | ((e & (EPOLLERR | EPOLLHUP)) ? kFdError : 0);
    static_cast<FdWatcher*>(watcher)->Ready(bits, sticky);
  }
}

void EdgePoller::Ref() {
  if (!init_ || refd_) return;
  refd_ = true;
  loop_.state()[kStateFdRefd] = 1;
  uv_ref(reinterpret_cast<uv_handle_t*>(&poll_));
}

void EdgePoller::FollowWaiters() {
  // JS counts waiting greenlets; drop the ref once nobody waits.
  if (refd_ && loop_.state()[kStateFdWaiters] <= 0) {
    refd_ = false;
    loop_.state()[kStateFdRefd] = 0;
    uv_unref(reinterpret_cast<uv_handle_t*>(&poll_));
  }
}

void EdgePoller::Close(std::function<void()> done) {
  if (!init_) {
    done();
    return;
  }
  on_closed_ = std::move(done);
  auto on_close = [](uv_handle_t* handle) {
    auto* self = static_cast<EdgePoller*>(handle->data);
    if (--self->open_handles_ > 0) return;
    close(self->epfd_);
    self->epfd_ = -1;
    self->init_ = false;
    self->on_closed_();
  };
  uv_close(reinterpret_cast<uv_handle_t*>(&poll_), on_close);
  uv_close(reinterpret_cast<uv_handle_t*>(&prepare_), on_close);
}

std::unique_ptr<FdWatcher> Backend::NewFd(Loop& loop, int fd) { return std::make_unique<EdgeFd>(loop, fd); }

namespace {

Napi::Value FdInit(const Napi::CallbackInfo& info) {
  Loop* loop = LoopOf(info);
  int32_t fd;
  if (loop == nullptr || !ArgInt32(info, 0, "fd", &fd)) return Napi::Value();
  if (fd < 0) {
    ThrowRangeError(info.Env(), "ERR_OUT_OF_RANGE", "The value of \"fd\" is out of range. It must be >= 0");
    return Napi::Value();
  }
  if (fcntl(fd, F_GETFD) == -1) {
    ThrowSystemError(info.Env(), -errno, "fcntl");
    return Napi::Value();
  }
  return NewWatcherId(info.Env(), loop, loop->backend().NewFd(*loop, fd));
}

Napi::Value FdRef(const Napi::CallbackInfo& info) {
  Loop* loop = LoopOf(info);
  if (loop != nullptr) loop->edge_poller().Ref();
  return Napi::Value();
}

}  // namespace

void BindFd(Napi::Object target, Loop* loop) {
  SetFunction(target, "fdInit", FdInit, loop);
  SetFunction(target, "fdRef", FdRef, loop);
}

}  // namespace greenhub
