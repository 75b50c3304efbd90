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

// TransferSpan as a plain N-API callback: read, write, recv and send run
// once or twice per request on a busy server, and node-addon-api's
// CallbackInfo and argument helpers (two N-API calls per number, three for
// the buffer) cost about as much as the syscall's user-side work. Here each
// argument is one N-API call; anything unexpected goes through
// TransferSpan, which throws the usual error.
template <ssize_t (*Transfer)(int, uint8_t*, size_t)>
napi_value RawTransferSpan(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, cbinfo, &argc, argv, nullptr, nullptr) != napi_ok) return nullptr;
  double fd;
  double offset;
  double count;
  napi_typedarray_type type;
  size_t size;
  void* base = nullptr;
  if (argc >= 4 && napi_get_value_double(env, argv[0], &fd) == napi_ok && napi_get_value_double(env, argv[2], &offset) == napi_ok &&
      napi_get_value_double(env, argv[3], &count) == napi_ok &&
      napi_get_typedarray_info(env, argv[1], &type, &size, &base, nullptr, nullptr) == napi_ok && type == napi_uint8_array &&
      fd >= 0 && fd <= INT32_MAX && static_cast<int32_t>(fd) == fd && offset >= 0 && offset <= INT32_MAX &&
      static_cast<int32_t>(offset) == offset && count >= 0 && count <= INT32_MAX && static_cast<int32_t>(count) == count &&
      static_cast<size_t>(offset) + static_cast<size_t>(count) <= size) {
    // A zero-length view may have no data pointer at all.
    static uint8_t empty;
    uint8_t* data = base != nullptr ? static_cast<uint8_t*>(base) + static_cast<size_t>(offset) : &empty;
    ssize_t n;
    do {
      n = Transfer(static_cast<int>(fd), data, static_cast<size_t>(count));
    } while (n < 0 && errno == EINTR);
    napi_value result = nullptr;
    napi_create_int32(env, n < 0 ? -errno : static_cast<int32_t>(n), &result);
    return result;
  }
  Napi::CallbackInfo info(env, cbinfo);
  return TransferSpan(info, Transfer);
}

// Binds `callback` as target[name], a plain N-API function.
void SetRawFunction(Napi::Object target, const char* name, napi_callback callback);

}  // namespace greenhub

#endif  // GREENHUB_SYSCALLS_SPAN_H_
