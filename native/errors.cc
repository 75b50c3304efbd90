#include "errors.h"

#include <cctype>
#include <cmath>
#include <cstring>
#include <string>

namespace greenhub {

namespace {

void ThrowWithCode(Napi::Env env, Napi::Error error, const char* code) {
  error.Set("code", Napi::String::New(env, code));
  error.ThrowAsJavaScriptException();
}

}  // namespace

void ThrowTypeError(Napi::Env env, const char* code, const char* message) {
  ThrowWithCode(env, Napi::TypeError::New(env, message), code);
}

void ThrowRangeError(Napi::Env env, const char* code, const char* message) {
  ThrowWithCode(env, Napi::RangeError::New(env, message), code);
}

void ThrowError(Napi::Env env, const char* code, const char* message) {
  ThrowWithCode(env, Napi::Error::New(env, message), code);
}

namespace {

// libuv names only the errnos it uses itself (ECHILD is not among them) and
// leaks a string for any other one: use the _r variants and fall back on
// the C library for the name and the description.
bool KnownToUv(const char* text) { return std::strncmp(text, "Unknown system error", 20) != 0; }

std::string ErrName(int err) {
  char buffer[64];
  uv_err_name_r(err, buffer, sizeof buffer);
  if (KnownToUv(buffer) || err >= 0) return buffer;
  const char* name = strerrorname_np(-err);
  return name != nullptr ? name : buffer;
}

std::string ErrDescription(int err) {
  char buffer[128];
  uv_strerror_r(err, buffer, sizeof buffer);
  if (KnownToUv(buffer) || err >= 0) return buffer;
  std::string description = strerrordesc_np(-err) != nullptr ? strerrordesc_np(-err) : buffer;
  // Node's descriptions start in lower case ("bad file descriptor").
  if (!description.empty()) description[0] = static_cast<char>(std::tolower(description[0]));
  return description;
}

}  // namespace

Napi::Error SystemError(Napi::Env env, int err, const char* syscall) {
  std::string code = ErrName(err);
  std::string message = code + ": " + ErrDescription(err) + ", " + syscall;
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  error.Set("errno", Napi::Number::New(env, err));
  error.Set("syscall", Napi::String::New(env, syscall));
  return error;
}

void ThrowSystemError(Napi::Env env, int err, const char* syscall) {
  SystemError(env, err, syscall).ThrowAsJavaScriptException();
}

bool ArgDouble(const Napi::CallbackInfo& info, size_t i, const char* what, double* out) {
  if (i >= info.Length() || !info[i].IsNumber()) {
    std::string message = std::string("The \"") + what + "\" argument must be of type number";
    ThrowTypeError(info.Env(), "ERR_INVALID_ARG_TYPE", message.c_str());
    return false;
  }
  *out = info[i].As<Napi::Number>().DoubleValue();
  return true;
}

bool ArgInt32(const Napi::CallbackInfo& info, size_t i, const char* what, int32_t* out) {
  double value;
  if (!ArgDouble(info, i, what, &value)) return false;
  if (!(value >= INT32_MIN && value <= INT32_MAX) || std::trunc(value) != value) {
    std::string message = std::string("The value of \"") + what + "\" is out of range. It must be an integer";
    ThrowRangeError(info.Env(), "ERR_OUT_OF_RANGE", message.c_str());
    return false;
  }
  *out = static_cast<int32_t>(value);
  return true;
}

bool ArgSeconds(const Napi::CallbackInfo& info, size_t i, const char* what, double* out) {
  double value;
  if (!ArgDouble(info, i, what, &value)) return false;
  if (!std::isfinite(value) || value < 0) {
    std::string message = std::string("The value of \"") + what + "\" is out of range. It must be a finite number >= 0";
    ThrowRangeError(info.Env(), "ERR_OUT_OF_RANGE", message.c_str());
    return false;
  }
  *out = value;
  return true;
}

bool ArgBool(const Napi::CallbackInfo& info, size_t i, const char* what, bool* out) {
  if (i >= info.Length() || !info[i].IsBoolean()) {
    std::string message = std::string("The \"") + what + "\" argument must be of type boolean";
    ThrowTypeError(info.Env(), "ERR_INVALID_ARG_TYPE", message.c_str());
    return false;
  }
  *out = info[i].As<Napi::Boolean>().Value();
  return true;
}

}  // namespace greenhub
