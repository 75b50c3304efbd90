#!/bin/sh
# Prints 1 when libev can be compiled and linked here (Debian: libev-dev),
# else 0. binding.gyp builds the ev backend only where this says 1, so a
# machine without libev still builds the uv backend cleanly.
probe=$(mktemp -d 2>/dev/null || echo /tmp/greenhub-libev-probe.$$)
mkdir -p "$probe"
printf '#include <ev.h>\nint main(void) { return ev_version_major() == EV_VERSION_MAJOR ? 0 : 1; }\n' > "$probe/probe.c"
if ${CC:-cc} "$probe/probe.c" -o "$probe/probe" -lev >/dev/null 2>&1; then
  echo 1
else
  echo 0
fi
rm -rf "$probe"
