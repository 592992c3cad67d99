// Phone numbers to E.164 (+8613910228834) with libphonenumber; its headers stay in phone.cpp.
#pragma once

#include <string>
#include <string_view>

namespace fb::mapping {

bool is_phone_region(std::string_view region);  // "CN", "DE", … as libphonenumber knows them
// False when `text` is not a valid number for `region` (or in international form).
bool to_e164(std::string_view text, std::string_view region, std::string& out);

}  // namespace fb::mapping
