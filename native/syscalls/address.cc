#include "address.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cstdlib>
#include <cstring>

#include "../errors.h"

namespace greenhub {

bool MakeSockaddr(int family, const std::string& host, int port, sockaddr_storage* out, socklen_t* length,
                  std::string* error) {
  std::memset(out, 0, sizeof *out);
  if (family == AF_UNIX) {
    auto* un = reinterpret_cast<sockaddr_un*>(out);
    if (host.empty() || host.size() >= sizeof un->sun_path) {
      *error = "a Unix socket path must be 1 to 107 bytes long";
      return false;
    }
    un->sun_family = AF_UNIX;
    std::memcpy(un->sun_path, host.data(), host.size());
    // Abstract names (leading NUL) are not NUL-terminated: the length says.
    *length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + host.size() + (host[0] == '\0' ? 0 : 1));
    return true;
  }
  if (port < 0 || port > 65535) {
    *error = "the port must be an integer from 0 to 65535";
    return false;
  }
  if (family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(out);
    in->sin_family = AF_INET;
    in->sin_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET, host.c_str(), &in->sin_addr) != 1) {
      *error = "\"" + host + "\" is not an IPv4 address";
      return false;
    }
    *length = sizeof *in;
    return true;
  }
  if (family == AF_INET6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(out);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(static_cast<uint16_t>(port));
    std::string address = host;
    size_t percent = address.find('%');
    if (percent != std::string::npos) {
      std::string zone = address.substr(percent + 1);
      address.resize(percent);
      char* end;
      unsigned long index = std::strtoul(zone.c_str(), &end, 10);
      in6->sin6_scope_id = (*end == '\0' && !zone.empty()) ? static_cast<uint32_t>(index) : if_nametoindex(zone.c_str());
      if (in6->sin6_scope_id == 0) {
        *error = "unknown IPv6 zone \"" + zone + "\"";
        return false;
      }
    }
    if (inet_pton(AF_INET6, address.c_str(), &in6->sin6_addr) != 1) {
      *error = "\"" + host + "\" is not an IPv6 address";
      return false;
    }
    *length = sizeof *in6;
    return true;
  }
  *error = "unsupported address family " + std::to_string(family);
  return false;
}

Napi::Array SockaddrToArray(Napi::Env env, const sockaddr_storage& address, socklen_t length) {
  Napi::Array result = Napi::Array::New(env, 3);
  result.Set(0u, Napi::Number::New(env, address.ss_family));
  char text[INET6_ADDRSTRLEN + IF_NAMESIZE + 2] = "";
  int port = 0;
  std::string host;
  if (address.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&address);
    inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
    host = text;
    port = ntohs(in->sin_port);
  } else if (address.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&address);
    inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
    host = text;
    if (in6->sin6_scope_id != 0) host += "%" + std::to_string(in6->sin6_scope_id);
    port = ntohs(in6->sin6_port);
  } else if (address.ss_family == AF_UNIX) {
    const auto* un = reinterpret_cast<const sockaddr_un*>(&address);
    size_t max = length > offsetof(sockaddr_un, sun_path) ? length - offsetof(sockaddr_un, sun_path) : 0;
    if (max > 0 && un->sun_path[0] == '\0') {
      host.assign(un->sun_path, max);  // abstract: every byte counts
    } else {
      host.assign(un->sun_path, strnlen(un->sun_path, max));
    }
  }
  result.Set(1u, Napi::String::New(env, host));
  result.Set(2u, Napi::Number::New(env, port));
  return result;
}

bool ArgSockaddr(const Napi::CallbackInfo& info, size_t i, sockaddr_storage* out, socklen_t* length) {
  int32_t family;
  int32_t port;
  if (!ArgInt32(info, i, "family", &family)) return false;
  if (i + 1 >= info.Length() || !info[i + 1].IsString()) {
    ThrowTypeError(info.Env(), "ERR_INVALID_ARG_TYPE", "The \"host\" argument must be of type string");
    return false;
  }
  if (!ArgInt32(info, i + 2, "port", &port)) return false;
  std::string error;
  if (!MakeSockaddr(family, info[i + 1].As<Napi::String>().Utf8Value(), port, out, length, &error)) {
    ThrowTypeError(info.Env(), "ERR_INVALID_ADDRESS", error.c_str());
    return false;
  }
  return true;
}

}  // namespace greenhub
