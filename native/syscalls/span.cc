#include "span.h"

#include "../errors.h"

namespace greenhub {

uint8_t* ArgSpan(const Napi::CallbackInfo& info, size_t i, size_t* length) {
  napi_env env = info.Env();
  napi_typedarray_type type;
  size_t size;
  void* data = nullptr;
  bool is_typedarray = false;
  if (i < info.Length()) napi_is_typedarray(env, info[i], &is_typedarray);
  // One call gives type, size and the (offset-adjusted) data pointer.
  if (!is_typedarray || napi_get_typedarray_info(env, info[i], &type, &size, &data, nullptr, nullptr) != napi_ok ||
      type != napi_uint8_array) {
    ThrowTypeError(info.Env(), "ERR_INVALID_ARG_TYPE", "The \"buffer\" argument must be a Buffer or Uint8Array");
    return nullptr;
  }
  int32_t offset;
  int32_t count;
  if (!ArgInt32(info, i + 1, "offset", &offset) || !ArgInt32(info, i + 2, "length", &count)) return nullptr;
  if (offset < 0 || count < 0 || static_cast<size_t>(offset) + static_cast<size_t>(count) > size) {
    ThrowRangeError(info.Env(), "ERR_OUT_OF_RANGE", "offset and length must lie within the buffer");
    return nullptr;
  }
  *length = static_cast<size_t>(count);
  // A zero-length view may have no data pointer at all.
  static uint8_t empty;
  return data != nullptr ? static_cast<uint8_t*>(data) + offset : &empty;
}

void SetRawFunction(Napi::Object target, const char* name, napi_callback callback) {
  napi_value fn;
  if (napi_create_function(target.Env(), name, NAPI_AUTO_LENGTH, callback, nullptr, &fn) == napi_ok) {
    target.Set(name, Napi::Value(target.Env(), fn));
  }
}

}  // namespace greenhub
