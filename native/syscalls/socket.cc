// Non-blocking socket syscalls for JS. The hot ones (recv, send, accept,
// connect) return a count or a negative errno, never an exception, so that
// EAGAIN costs no JS error object; the rest throw Node-style errors.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "../errors.h"
#include "address.h"
#include "span.h"
#include "syscalls.h"

namespace greenhub {

namespace {

Napi::Value Result(Napi::Env env, ssize_t result) {
  return Napi::Number::New(env, result < 0 ? -errno : static_cast<double>(result));
}

// socket(family, type, protocol) → fd or -errno (non-blocking, close-on-exec).
Napi::Value Socket(const Napi::CallbackInfo& info) {
  int32_t family;
  int32_t type;
  int32_t protocol;
  if (!ArgInt32(info, 0, "family", &family) || !ArgInt32(info, 1, "type", &type) ||
      !ArgInt32(info, 2, "protocol", &protocol)) {
    return Napi::Value();
  }
  return Result(info.Env(), socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol));
}

// bind(fd, family, host, port) → 0 or -errno.
Napi::Value Bind(const Napi::CallbackInfo& info) {
  int32_t fd;
  sockaddr_storage address;
  socklen_t length;
  if (!ArgInt32(info, 0, "fd", &fd) || !ArgSockaddr(info, 1, &address, &length)) return Napi::Value();
  return Result(info.Env(), bind(fd, reinterpret_cast<sockaddr*>(&address), length));
}

// connect(fd, family, host, port) → 0, -EINPROGRESS or -errno.
Napi::Value Connect(const Napi::CallbackInfo& info) {
  int32_t fd;
  sockaddr_storage address;
  socklen_t length;
  if (!ArgInt32(info, 0, "fd", &fd) || !ArgSockaddr(info, 1, &address, &length)) return Napi::Value();
  int result;
  do {
    result = connect(fd, reinterpret_cast<sockaddr*>(&address), length);
  } while (result < 0 && errno == EINTR);
  return Result(info.Env(), result);
}

// listen(fd, backlog) → 0 or -errno.
Napi::Value Listen(const Napi::CallbackInfo& info) {
  int32_t fd;
  int32_t backlog;
  if (!ArgInt32(info, 0, "fd", &fd) || !ArgInt32(info, 1, "backlog", &backlog)) return Napi::Value();
  return Result(info.Env(), listen(fd, backlog));
}

// accept(fd) → [fd, family, host, port] or -errno.
Napi::Value Accept(const Napi::CallbackInfo& info) {
  int32_t fd;
  if (!ArgInt32(info, 0, "fd", &fd)) return Napi::Value();
  sockaddr_storage address;
  socklen_t length = sizeof address;
  int client;
  do {
    client = accept4(fd, reinterpret_cast<sockaddr*>(&address), &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
  } while (client < 0 && errno == EINTR);
  if (client < 0) return Napi::Number::New(info.Env(), -errno);
  Napi::Array peer = SockaddrToArray(info.Env(), address, length);
  Napi::Array result = Napi::Array::New(info.Env(), 4);
  result.Set(0u, Napi::Number::New(info.Env(), client));
  result.Set(1u, peer.Get(0u));
  result.Set(2u, peer.Get(1u));
  result.Set(3u, peer.Get(2u));
  return result;
}

// recv(fd, buffer, offset, length) → bytes (0 at EOF) or -errno.
ssize_t RecvSpan(int fd, uint8_t* data, size_t length) {
  return recv(fd, data, length, 0);
}

// send(fd, buffer, offset, length) → bytes or -errno. MSG_NOSIGNAL: a closed
// peer is EPIPE, never a SIGPIPE.
ssize_t SendSpan(int fd, uint8_t* data, size_t length) {
  return send(fd, data, length, MSG_NOSIGNAL);
}

// sendv(fd, [buffer, ...]) → bytes or -errno: one sendmsg for many buffers.
Napi::Value SendV(const Napi::CallbackInfo& info) {
  int32_t fd;
  if (!ArgInt32(info, 0, "fd", &fd)) return Napi::Value();
  if (info.Length() < 2 || !info[1].IsArray()) {
    ThrowTypeError(info.Env(), "ERR_INVALID_ARG_TYPE", "The \"buffers\" argument must be an array of Buffers");
    return Napi::Value();
  }
  Napi::Array buffers = info[1].As<Napi::Array>();
  uint32_t count = buffers.Length();
  if (count > IOV_MAX) count = IOV_MAX;  // the rest goes in the next call
  std::vector<iovec> iov(count);
  for (uint32_t i = 0; i < count; i++) {
    Napi::Value item = buffers.Get(i);
    napi_typedarray_type type;
    size_t size;
    void* data = nullptr;
    bool is_typedarray = false;
    napi_is_typedarray(info.Env(), item, &is_typedarray);
    if (!is_typedarray ||
        napi_get_typedarray_info(info.Env(), item, &type, &size, &data, nullptr, nullptr) != napi_ok ||
        type != napi_uint8_array) {
      ThrowTypeError(info.Env(), "ERR_INVALID_ARG_TYPE", "The \"buffers\" argument must be an array of Buffers");
      return Napi::Value();
    }
    iov[i].iov_base = data;
    iov[i].iov_len = size;
  }
  msghdr message = {};
  message.msg_iov = iov.data();
  message.msg_iovlen = count;
  ssize_t n;
  do {
    n = sendmsg(fd, &message, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  return Result(info.Env(), n);
}

// recvfrom(fd, buffer, offset, length) → [bytes, family, host, port] or -errno.
Napi::Value RecvFrom(const Napi::CallbackInfo& info) {
  int32_t fd;
  size_t length;
  if (!ArgInt32(info, 0, "fd", &fd)) return Napi::Value();
  uint8_t* data = ArgSpan(info, 1, &length);
  if (data == nullptr) return Napi::Value();
  sockaddr_storage address;
  socklen_t address_length = sizeof address;
  ssize_t n;
  do {
    n = recvfrom(fd, data, length, 0, reinterpret_cast<sockaddr*>(&address), &address_length);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return Napi::Number::New(info.Env(), -errno);
  Napi::Array result = Napi::Array::New(info.Env(), 4);
  result.Set(0u, Napi::Number::New(info.Env(), static_cast<double>(n)));
  if (address_length == 0) {
    // An unnamed sender (an unbound Unix datagram socket).
    result.Set(1u, Napi::Number::New(info.Env(), AF_UNIX));
    result.Set(2u, Napi::String::New(info.Env(), ""));
    result.Set(3u, Napi::Number::New(info.Env(), 0));
    return result;
  }
  Napi::Array from = SockaddrToArray(info.Env(), address, address_length);
  result.Set(1u, from.Get(0u));
  result.Set(2u, from.Get(1u));
  result.Set(3u, from.Get(2u));
  return result;
}

// sendto(fd, buffer, offset, length, family, host, port) → bytes or -errno.
Napi::Value SendTo(const Napi::CallbackInfo& info) {
  int32_t fd;
  size_t length;
  if (!ArgInt32(info, 0, "fd", &fd)) return Napi::Value();
  uint8_t* data = ArgSpan(info, 1, &length);
  if (data == nullptr) return Napi::Value();
  sockaddr_storage address;
  socklen_t address_length;
  if (!ArgSockaddr(info, 4, &address, &address_length)) return Napi::Value();
  ssize_t n;
  do {
    n = sendto(fd, data, length, MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&address), address_length);
  } while (n < 0 && errno == EINTR);
  return Result(info.Env(), n);
}

// shutdown(fd, how) → 0 or -errno.
Napi::Value Shutdown(const Napi::CallbackInfo& info) {
  int32_t fd;
  int32_t how;
  if (!ArgInt32(info, 0, "fd", &fd) || !ArgInt32(info, 1, "how", &how)) return Napi::Value();
  return Result(info.Env(), shutdown(fd, how));
}

// getsockopt(fd, level, name) → the int value; throws on failure.
Napi::Value GetSockOpt(const Napi::CallbackInfo& info) {
  int32_t fd;
  int32_t level;
  int32_t name;
  if (!ArgInt32(info, 0, "fd", &fd) || !ArgInt32(info, 1, "level", &level) || !ArgInt32(info, 2, "name", &name)) {
    return Napi::Value();
  }
  int value = 0;
  socklen_t length = sizeof value;
  if (getsockopt(fd, level, name, &value, &length) != 0) {
    ThrowSystemError(info.Env(), -errno, "getsockopt");
    return Napi::Value();
  }
  return Napi::Number::New(info.Env(), value);
}

// setsockopt(fd, level, name, value); throws on failure.
Napi::Value SetSockOpt(const Napi::CallbackInfo& info) {
  int32_t fd;
  int32_t level;
  int32_t name;
  int32_t value;
  if (!ArgInt32(info, 0, "fd", &fd) || !ArgInt32(info, 1, "level", &level) || !ArgInt32(info, 2, "name", &name) ||
      !ArgInt32(info, 3, "value", &value)) {
    return Napi::Value();
  }
  if (setsockopt(fd, level, name, &value, sizeof value) != 0) ThrowSystemError(info.Env(), -errno, "setsockopt");
  return Napi::Value();
}

template <int (*kCall)(int, sockaddr*, socklen_t*)>
Napi::Value SockName(const Napi::CallbackInfo& info) {
  int32_t fd;
  if (!ArgInt32(info, 0, "fd", &fd)) return Napi::Value();
  sockaddr_storage address;
  socklen_t length = sizeof address;
  if (kCall(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ThrowSystemError(info.Env(), -errno, kCall == getsockname ? "getsockname" : "getpeername");
    return Napi::Value();
  }
  return SockaddrToArray(info.Env(), address, length);
}

void SetConstant(Napi::Object target, const char* name, int value) {
  target.Set(name, Napi::Number::New(target.Env(), value));
}

}  // namespace

void BindSocketSyscalls(Napi::Object target) {
  Napi::Env env = target.Env();
  target.Set("socket", Napi::Function::New(env, Socket, "socket"));
  target.Set("bind", Napi::Function::New(env, Bind, "bind"));
  target.Set("connect", Napi::Function::New(env, Connect, "connect"));
  target.Set("listen", Napi::Function::New(env, Listen, "listen"));
  target.Set("accept", Napi::Function::New(env, Accept, "accept"));
  SetRawFunction(target, "recv", RawTransferSpan<RecvSpan>);
  SetRawFunction(target, "send", RawTransferSpan<SendSpan>);
  target.Set("sendv", Napi::Function::New(env, SendV, "sendv"));
  target.Set("recvfrom", Napi::Function::New(env, RecvFrom, "recvfrom"));
  target.Set("sendto", Napi::Function::New(env, SendTo, "sendto"));
  target.Set("shutdown", Napi::Function::New(env, Shutdown, "shutdown"));
  target.Set("getsockopt", Napi::Function::New(env, GetSockOpt, "getsockopt"));
  target.Set("setsockopt", Napi::Function::New(env, SetSockOpt, "setsockopt"));
  target.Set("getsockname", Napi::Function::New(env, SockName<getsockname>, "getsockname"));
  target.Set("getpeername", Napi::Function::New(env, SockName<getpeername>, "getpeername"));
  Napi::Object constants = Napi::Object::New(env);
  SetConstant(constants, "AF_INET", AF_INET);
  SetConstant(constants, "AF_INET6", AF_INET6);
  SetConstant(constants, "AF_UNIX", AF_UNIX);
  SetConstant(constants, "SOCK_STREAM", SOCK_STREAM);
  SetConstant(constants, "SOCK_DGRAM", SOCK_DGRAM);
  SetConstant(constants, "SOL_SOCKET", SOL_SOCKET);
  SetConstant(constants, "SO_REUSEADDR", SO_REUSEADDR);
  SetConstant(constants, "SO_REUSEPORT", SO_REUSEPORT);
  SetConstant(constants, "SO_KEEPALIVE", SO_KEEPALIVE);
  SetConstant(constants, "SO_ERROR", SO_ERROR);
  SetConstant(constants, "SO_RCVBUF", SO_RCVBUF);
  SetConstant(constants, "SO_SNDBUF", SO_SNDBUF);
  SetConstant(constants, "SO_BROADCAST", SO_BROADCAST);
  SetConstant(constants, "SO_TYPE", SO_TYPE);
  SetConstant(constants, "IPPROTO_TCP", IPPROTO_TCP);
  SetConstant(constants, "IPPROTO_UDP", IPPROTO_UDP);
  SetConstant(constants, "IPPROTO_IPV6", IPPROTO_IPV6);
  SetConstant(constants, "IPV6_V6ONLY", IPV6_V6ONLY);
  SetConstant(constants, "TCP_NODELAY", TCP_NODELAY);
  SetConstant(constants, "TCP_KEEPIDLE", TCP_KEEPIDLE);
  SetConstant(constants, "SHUT_RD", SHUT_RD);
  SetConstant(constants, "SHUT_WR", SHUT_WR);
  SetConstant(constants, "SHUT_RDWR", SHUT_RDWR);
  SetConstant(constants, "SOMAXCONN", SOMAXCONN);
  target.Set("constants", constants);
}

}  // namespace greenhub
