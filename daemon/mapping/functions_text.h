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

// The texts replace() and replace_re() make have at most this many characters, or no more than
// the text they were given: a document's 20 kB replacement for every character of a 20 kB text
// would otherwise make 400 MB. pad_left() pads to at most this width.
constexpr std::size_t max_made_text = 65536;
// Throws an EvalError naming the function when `made` characters are more than it may make
// from a text of `given` characters.
void check_made_length(const Expr& e, std::size_t made, std::size_t given);

// Argument `i` of a call as text (a number as JSON writes it); false when missing or null, an
// error naming the function for a list or an object.
bool text_argument(const Expr& e, std::size_t i, EvalContext& ctx, std::string_view& out);

}  // namespace fb::mapping
