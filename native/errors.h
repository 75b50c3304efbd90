// Errors thrown into JS from native code. Every function here leaves a JS
// exception pending and returns; callers return an empty value right after.
#ifndef GREENHUB_ERRORS_H_
#define GREENHUB_ERRORS_H_

#include "common.h"

namespace greenhub {

void ThrowTypeError(Napi::Env env, const char* code, const char* message);
void ThrowRangeError(Napi::Env env, const char* code, const char* message);
void ThrowError(Napi::Env env, const char* code, const char* message);
// A Node-style system error: message "ECODE: description, syscall", with
// `code`, `errno` (negative, as Node reports it) and `syscall` properties.
// `err` is a libuv error code (negative errno on Unix).
void ThrowSystemError(Napi::Env env, int err, const char* syscall);
Napi::Error SystemError(Napi::Env env, int err, const char* syscall);

// Argument readers: each throws a TypeError/RangeError naming `what` and
// returns false when the value does not fit.
bool ArgInt32(const Napi::CallbackInfo& info, size_t i, const char* what, int32_t* out);
bool ArgDouble(const Napi::CallbackInfo& info, size_t i, const char* what, double* out);
// A finite number >= 0.
bool ArgSeconds(const Napi::CallbackInfo& info, size_t i, const char* what, double* out);
bool ArgBool(const Napi::CallbackInfo& info, size_t i, const char* what, bool* out);

}  // namespace greenhub

#endif  // GREENHUB_ERRORS_H_
