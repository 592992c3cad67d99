#include "daemon_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <regex>
#include <stdexcept>
#include <thread>

#include "harness.h"
#include "support/source_dir.h"

namespace fb::testing {

DaemonProcess::DaemonProcess(std::string config_path, std::string log_path)
    : config_path_(std::move(config_path)), log_path_(std::move(log_path)) {}

DaemonProcess::~DaemonProcess() {
    if (pid_ > 0) kill9();
}

void DaemonProcess::start() {
    int log = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_ = ::fork();
    if (pid_ == 0) {
        ::dup2(log, 2);
        ::dup2(log, 1);
        const char* binary = std::getenv("FB_BINARY_OVERRIDE");
        if (!binary) binary = FB_BINARY.c_str();
        ::execl(binary, binary, "run", "--config", config_path_.c_str(), nullptr);
        ::_exit(127);
    }
    ::close(log);
    static const std::regex listening(R"(http listening on 127\.0\.0\.1:(\d+))");
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
        std::smatch m;
        auto text = read_file(log_path_);
        if (std::regex_search(text, m, listening)) {
            port_ = static_cast<unsigned short>(std::stoi(m[1]));
            return;
        }
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            throw std::runtime_error("fieldbridge exited at start: " + text);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    throw std::runtime_error("fieldbridge did not start listening: " + read_file(log_path_));
}

void DaemonProcess::kill9() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
    port_ = 0;
}

int DaemonProcess::terminate() {
    int status = 0;
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    port_ = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

bool DaemonProcess::wait_exit(int timeout_ms) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            port_ = 0;
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
}

}  // namespace fb::testing
