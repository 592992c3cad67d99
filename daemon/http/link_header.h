// RFC 8288 `Link:` headers, as REST ERPs page with them (Shopify's `page_info`, WooCommerce,
// GitHub-style APIs): `<https://…?page_info=abc>; rel="next", <…>; rel="previous"`.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "http/client.h"

namespace fb::http {

// Limits on what is read of an ERP's Link headers (untrusted input): links beyond these are
// ignored, never an error.
inline constexpr std::size_t max_links = 64;        // per answer, over all its Link headers
inline constexpr std::size_t max_link_bytes = 8192; // one target URI

// The target of the first link whose `rel` (a space-separated list, compared without case)
// holds `rel`, over every `Link` header of the answer in order; nullopt when there is none or
// the header is malformed where that link would be. The target is returned as written (maybe
// relative: it is relative to the request's URL).
std::optional<std::string> link_target(const Headers& headers, std::string_view rel);
// The same over one header value.
std::optional<std::string> link_target(std::string_view header_value, std::string_view rel, std::size_t& budget);

}  // namespace fb::http
