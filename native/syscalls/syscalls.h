// Syscalls JS makes through the addon (TypeScript makes none itself).
#ifndef GREENHUB_SYSCALLS_SYSCALLS_H_
#define GREENHUB_SYSCALLS_SYSCALLS_H_

#include "../common.h"

namespace greenhub {

void BindFdSyscalls(Napi::Object target);
void BindSocketSyscalls(Napi::Object target);

}  // namespace greenhub

#endif  // GREENHUB_SYSCALLS_SYSCALLS_H_
