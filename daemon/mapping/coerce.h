// Type coercion shared by `as:` and the number()/integer()/string()/boolean() functions.
#pragma once

#include <optional>
#include <string_view>

#include "mapping/value.h"

namespace fb::mapping {

enum class Coercion { none, string, number, integer, boolean };
std::optional<Coercion> coercion_named(std::string_view name);

// Throws EvalError (expected "a number", found "\"two\"") when the value cannot be converted.
Val coerce(const Val& v, Coercion to, EvalContext& ctx);

}  // namespace fb::mapping
