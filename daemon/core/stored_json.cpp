#include "core/stored_json.h"

#include <boost/json/parse.hpp>

#include "core/pack.h"

namespace fb::core {

boost::json::value parse_stored(std::string_view text) {
    boost::json::parse_options options;
    options.max_depth = 1024;
    return boost::json::parse(text, {}, options);
}

boost::json::value unpack_stored(std::string_view packed) { return parse_stored(unpack(packed)); }

}  // namespace fb::core
