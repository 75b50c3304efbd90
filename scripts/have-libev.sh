#!/bin/sh
# Prints 1 when libev can be compiled and linked here (Debian: libev-dev),
# else 0. binding.gyp builds the ev backend only where this says 1, so a
# machine without libev still builds the uv backend cleanly.
probe=$(mktemp -d 2>/dev/null || echo "/tmp/greenhub-libev-probe.$$")
mkdir -p "$probe" 2>/dev/null
printf '#include <ev.h>\nint main(void) { return ev_version_major() == EV_VERSION_MAJOR ? 0 : 1; }\n' 2>/dev/null > "$probe/probe.c"
found=0
for compiler in "${CC:-}" cc gcc clang "${CXX:-}" c++; do
  [ -n "$compiler" ] || continue
  command -v "$compiler" >/dev/null 2>&1 || continue
  if "$compiler" -x c "$probe/probe.c" -o "$probe/probe" -lev >/dev/null 2>&1; then
    found=1
    break
  fi
done
rm -rf "$probe" 2>/dev/null
echo "$found"
