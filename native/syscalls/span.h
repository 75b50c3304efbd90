// The bytes a JS (buffer, offset, length) triple names, checked.
#ifndef GREENHUB_SYSCALLS_SPAN_H_
#define GREENHUB_SYSCALLS_SPAN_H_

#include "../common.h"

namespace greenhub {

// Returns the start of buffer[offset, offset + length) (arguments i, i+1,
// i+2) and its length, or nullptr with a TypeError/RangeError pending.
uint8_t* ArgSpan(const Napi::CallbackInfo& info, size_t i, size_t* length);

}  // namespace greenhub

#endif  // GREENHUB_SYSCALLS_SPAN_H_
