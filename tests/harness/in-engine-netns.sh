#!/bin/sh
# Runs a test program in the network namespace of the engines' fixture (tests/harness/engine.sh)
# when there is one, so that it reaches the registry, the TLS listener and sshd on that
# namespace's 127.0.0.1; otherwise (test discovery at build time, a machine without the fixture)
# runs it as it is. The integration tests' CROSSCOMPILING_EMULATOR.
netns=${DLRUN_TEST_ENGINE_DIR:+$DLRUN_TEST_ENGINE_DIR/netns}
if [ -n "$netns" ] && [ -e "$netns" ]; then
  exec nsenter --net="$netns" -- "$@"
fi
exec "$@"
