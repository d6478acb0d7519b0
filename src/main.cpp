#include <csignal>

#include "dlrun/cli/app.hpp"

int main(int argc, char** argv) {
  // A closed stdout (dlrun train … | head) must not kill dlrun before it removes the container.
  std::signal(SIGPIPE, SIG_IGN);
  return dlrun::cli::run(argc, argv);
}
