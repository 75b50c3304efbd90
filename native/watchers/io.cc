#include "io.h"

#include <fcntl.h>

#include <cerrno>

#include "../binding.h"

namespace greenhub {

namespace {

// Checks the fd is open and the mask is READ, WRITE or both.
bool IoArgs(const Napi::CallbackInfo& info, size_t i, int32_t* fd, int32_t* events) {
  if (!ArgInt32(info, i, "fd", fd) || !ArgInt32(info, i + 1, "events", events)) return false;
  if (*fd < 0) {
    ThrowRangeError(info.Env(), "ERR_OUT_OF_RANGE", "The value of \"fd\" is out of range. It must be >= 0");
    return false;
  }
  if (*events == 0 || (*events & ~(kRead | kWrite)) != 0) {
    ThrowRangeError(info.Env(), "ERR_OUT_OF_RANGE",
                    "The value of \"events\" is out of range. It must be READ, WRITE or READ | WRITE");
    return false;
  }
  if (fcntl(*fd, F_GETFD) == -1) {
    ThrowSystemError(info.Env(), -errno, "fcntl");
    return false;
  }
  return true;
}

Napi::Value IoInit(const Napi::CallbackInfo& info) {
  Loop* loop = LoopOf(info);
  int32_t fd;
  int32_t events;
  if (loop == nullptr || !IoArgs(info, 0, &fd, &events)) return Napi::Value();
  return NewWatcherId(info.Env(), loop, loop->backend().NewIo(*loop, fd, events));
}

Napi::Value IoSet(const Napi::CallbackInfo& info) {
  Loop* loop = LoopOf(info);
  if (loop == nullptr) return Napi::Value();
  auto* io = WatcherArg<IoWatcher>(info, loop, 0, Kind::kIo);
  int32_t fd;
  int32_t events;
  if (io == nullptr || !IoArgs(info, 1, &fd, &events)) return Napi::Value();
  if (io->active()) {
    ThrowError(info.Env(), "ERR_WATCHER_ACTIVE", "cannot change an active io watcher; stop it first");
    return Napi::Value();
  }
  io->Set(fd, events);
  return Napi::Value();
}

}  // namespace

void BindIo(Napi::Object target, Loop* loop) {
  SetFunction(target, "ioInit", IoInit, loop);
  SetFunction(target, "ioSet", IoSet, loop);
}

}  // namespace greenhub
