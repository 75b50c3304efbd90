// Plain fd syscalls for JS: pipes, socketpairs, non-blocking read/write and
// close. Results are byte counts or negative errnos, never exceptions, so
// that EAGAIN costs no JS error object.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "../errors.h"
#include "span.h"
#include "syscalls.h"

namespace greenhub {

namespace {

Napi::Value PairOf(Napi::Env env, int fds[2]) {
  Napi::Array pair = Napi::Array::New(env, 2);
  pair.Set(0u, Napi::Number::New(env, fds[0]));
  pair.Set(1u, Napi::Number::New(env, fds[1]));
  return pair;
}

// pipe() → [readFd, writeFd], both non-blocking and close-on-exec.
Napi::Value Pipe(const Napi::CallbackInfo& info) {
  int fds[2];
  if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
    ThrowSystemError(info.Env(), -errno, "pipe2");
    return Napi::Value();
  }
  return PairOf(info.Env(), fds);
}

// socketpair(domain, type) → [fd, fd], non-blocking and close-on-exec.
Napi::Value SocketPair(const Napi::CallbackInfo& info) {
  int32_t domain;
  int32_t type;
  if (!ArgInt32(info, 0, "domain", &domain) || !ArgInt32(info, 1, "type", &type)) return Napi::Value();
  int fds[2];
  if (socketpair(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0) {
    ThrowSystemError(info.Env(), -errno, "socketpair");
    return Napi::Value();
  }
  return PairOf(info.Env(), fds);
}

// read(fd, buffer, offset, length) → bytes read (0 at EOF) or -errno.
ssize_t ReadSpan(int fd, uint8_t* data, size_t length) {
  return read(fd, data, length);
}

// write(fd, buffer, offset, length) → bytes written or -errno.
ssize_t WriteSpan(int fd, uint8_t* data, size_t length) {
  return write(fd, data, length);
}

// close(fd) → 0 or -errno.
Napi::Value Close(const Napi::CallbackInfo& info) {
  int32_t fd;
  if (!ArgInt32(info, 0, "fd", &fd)) return Napi::Value();
  // EINTR from close still closes the fd on Linux: never retry.
  return Napi::Number::New(info.Env(), close(fd) == 0 ? 0 : -errno);
}

// setNonBlocking(fd, on) → 0 or -errno.
Napi::Value SetNonBlocking(const Napi::CallbackInfo& info) {
  int32_t fd;
  bool on;
  if (!ArgInt32(info, 0, "fd", &fd) || !ArgBool(info, 1, "on", &on)) return Napi::Value();
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK) < 0) {
    return Napi::Number::New(info.Env(), -errno);
  }
  return Napi::Number::New(info.Env(), 0);
}

}  // namespace

void BindFdSyscalls(Napi::Object target) {
  Napi::Env env = target.Env();
  target.Set("pipe", Napi::Function::New(env, Pipe, "pipe"));
  target.Set("socketpair", Napi::Function::New(env, SocketPair, "socketpair"));
  SetRawFunction(target, "read", RawTransferSpan<ReadSpan>);
  SetRawFunction(target, "write", RawTransferSpan<WriteSpan>);
  target.Set("close", Napi::Function::New(env, Close, "close"));
  target.Set("setNonBlocking", Napi::Function::New(env, SetNonBlocking, "setNonBlocking"));
}

}  // namespace greenhub
