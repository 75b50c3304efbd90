// The bytes a JS (buffer, offset, length) triple names, checked.
#ifndef GREENHUB_SYSCALLS_SPAN_H_
#define GREENHUB_SYSCALLS_SPAN_H_

#include <sys/types.h>

#include <cerrno>

#include "../common.h"
#include "../errors.h"

namespace greenhub {

// Returns the start of buffer[offset, offset + length) (arguments i, i+1,
// i+2) and its length, or nullptr with a TypeError/RangeError pending.
uint8_t* ArgSpan(const Napi::CallbackInfo& info, size_t i, size_t* length);

// (fd, buffer, offset, length) → what `transfer(fd, data, length)` returns
// (retried on EINTR), or -errno: read, write, recv and send in one shape.
template <typename Transfer>
Napi::Value TransferSpan(const Napi::CallbackInfo& info, Transfer transfer) {
  int32_t fd;
  size_t length;
  if (!ArgInt32(info, 0, "fd", &fd)) return Napi::Value();
  uint8_t* data = ArgSpan(info, 1, &length);
  if (data == nullptr) return Napi::Value();
  ssize_t n;
  do {
    n = transfer(fd, data, length);
  } while (n < 0 && errno == EINTR);
  return Napi::Number::New(info.Env(), n < 0 ? -errno : static_cast<double>(n));
}

}  // namespace greenhub

#endif  // GREENHUB_SYSCALLS_SPAN_H_
