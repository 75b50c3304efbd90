// Socket addresses between JS (family, host string, port) and sockaddr.
#ifndef GREENHUB_SYSCALLS_ADDRESS_H_
#define GREENHUB_SYSCALLS_ADDRESS_H_

#include <sys/socket.h>

#include <string>

#include "../common.h"

namespace greenhub {

// Fills `out` from (family, host, port); for AF_UNIX `host` is the path (a
// leading NUL byte names an abstract socket). Returns false and sets
// `error` when the address does not parse.
bool MakeSockaddr(int family, const std::string& host, int port, sockaddr_storage* out, socklen_t* length,
                  std::string* error);

// [family, host, port] (AF_UNIX: [family, path, 0]).
Napi::Array SockaddrToArray(Napi::Env env, const sockaddr_storage& address, socklen_t length);

// Reads (family, host, port) arguments starting at `i`; throws on bad input.
bool ArgSockaddr(const Napi::CallbackInfo& info, size_t i, sockaddr_storage* out, socklen_t* length);

}  // namespace greenhub

#endif  // GREENHUB_SYSCALLS_ADDRESS_H_
