// The poll source reads answers with the daemon's one JSON path reader (daemon/http/json_path.h).
#pragma once

#include "http/json_path.h"

namespace fb::connectors::http_poll {
using http::find_all;
using http::find_path;
using http::text_of;
}  // namespace fb::connectors::http_poll
