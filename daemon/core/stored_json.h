// JSON that fieldbridge itself stored in the state file (a writeback's requests, context and
// answers, a document's last version). It was checked against the input limits when it came in,
// but stored wrapped a few levels deeper ({event: …}, {response: {body: …}}): read back with the
// default depth (32) a valid event nested 30 deep would throw on every load and wedge the flow.
#pragma once

#include <boost/json/value.hpp>
#include <string_view>

namespace fb::core {

// Deeper than any input limit (256 at most) plus the wrapping; throws like json::parse.
boost::json::value parse_stored(std::string_view text);
// The same for an LZ4 block written by pack().
boost::json::value unpack_stored(std::string_view packed);

}  // namespace fb::core
