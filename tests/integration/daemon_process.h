// The fieldbridge binary as a child process, for tests that kill it with SIGKILL.
#pragma once

#include <sys/types.h>

#include <string>
#include "support/source_dir.h"

namespace fb::testing {

class DaemonProcess {
public:
    // Runs `fieldbridge run --config config_path` (the binary: $FB_BINARY_OVERRIDE or the build's).
    DaemonProcess(std::string config_path, std::string log_path);
    ~DaemonProcess();
    void start();  // waits until the HTTP port is known
    void kill9();  // SIGKILL and reap
    int terminate();  // SIGTERM and reap; the exit status
    bool wait_exit(int timeout_ms);  // reaps a process that ends by itself (a crash-point test hook)
    unsigned short port() const { return port_; }
    pid_t pid() const { return pid_; }

private:
    std::string config_path_, log_path_;
    pid_t pid_ = -1;
    unsigned short port_ = 0;
};

}  // namespace fb::testing
