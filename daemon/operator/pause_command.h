// `fieldbridge pause` / `fieldbridge resume`: the operator's pause from a shell. The running
// daemon is asked through its admin API, so the change holds at once; when no daemon answers at
// the config's address, the change is recorded in the state file, where the next start finds it.
#pragma once

#include <iosfwd>
#include <string>

#include "config/config.h"

namespace fb::operator_page {

struct PauseCommand {
    std::string flow;
    bool on = true;      // pause; false: resume
    std::string only;    // "", "intake" or "writeback"
    std::string reason;
    std::string url;     // the daemon's base URL; empty: http://<http.listen>
};

int pause_command(const config::Config& config, const PauseCommand& command, std::ostream& out, std::ostream& err);

}  // namespace fb::operator_page
