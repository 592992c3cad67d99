// Regular expressions, HTML, index_of, url_encode and base64 for the expression language (functions_text.cpp);
// functions.cpp lists them in the function table.
#pragma once

#include "mapping/expr.h"

namespace fb::mapping {

// matches()/capture()/replace_re(): the pattern is a constant, compiled with the mapping.
std::string prepare_regex(Expr& e, std::size_t& bad);

Val call_matches(const Expr& e, EvalContext& ctx);
Val call_capture(const Expr& e, EvalContext& ctx);
Val call_replace_re(const Expr& e, EvalContext& ctx);
Val call_strip_html(const Expr& e, EvalContext& ctx);
Val call_decode_entities(const Expr& e, EvalContext& ctx);
Val call_index_of(const Expr& e, EvalContext& ctx);
Val call_url_encode(const Expr& e, EvalContext& ctx);
Val call_base64(const Expr& e, EvalContext& ctx);

// Argument `i` of a call as text (a number as JSON writes it); false when missing or null, an
// error naming the function for a list or an object.
bool text_argument(const Expr& e, std::size_t i, EvalContext& ctx, std::string_view& out);

}  // namespace fb::mapping
