// The `http_poll` source: one declarative poll source for every HTTP ERP (see README.md beside
// this file); and the integrator's dry run behind `fieldbridge poll --dry-run`.
#pragma once

#include <ostream>
#include <string>

#include "config/config.h"
#include "connectors/http_poll/spec.h"
#include "connectors/registry.h"

namespace fb::connectors::http_poll {

extern const Connector connector;

// Fetches up to `pages` pages from the real ERP and prints the requests (secrets masked), the
// records, the cursor it would store and the work orders; commits nothing. 0 when all went well.
int dry_run(const config::Config& config, const std::string& flow, int pages, std::ostream& out);

}  // namespace fb::connectors::http_poll
