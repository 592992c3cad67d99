// decode_csv: RFC 4180 CSV in any charset → an array of objects keyed by the header's columns.
// Every value stays a string. Limits are checked while reading, before a field or row grows past
// them, so a 10 MB line without a newline costs no more memory than the input itself.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <vector>

#include "decode/decode.h"
#include "decode/errors.h"

namespace fb::decode {
namespace {

using Record = std::vector<std::string>;

class CsvReader {
  public:
    CsvReader(std::string_view text, char delimiter, const Limits& limits)
        : text_(text), delimiter_(delimiter), limits_(limits) {}

    // Reads the next record into `fields`; false at the end of the input or on an error.
    // Empty lines are skipped: exports end with one, and some put one between blocks.
    bool next(Record& fields) {
        while (pos_ < text_.size() && (text_[pos_] == '\r' || text_[pos_] == '\n')) end_line();
        if (pos_ >= text_.size()) return false;
        record_line_ = line_;
        fields.clear();
        for (;;) {
            std::string field;
            if (!(text_[pos_] == '"' ? quoted(field) : unquoted(field))) return false;
            fields.push_back(std::move(field));
            if (fields.size() > limits_.max_columns)
                return fail(record_line_,
                            "more than " + std::to_string(limits_.max_columns) + " columns");
            if (pos_ >= text_.size()) return true;
            if (text_[pos_] == delimiter_) {
                ++pos_;
                continue;
            }
            end_line();
            return true;
        }
    }

    std::size_t record_line() const { return record_line_; }
    const std::string& error() const { return error_; }

  private:
    bool fail(std::size_t line, const std::string& what) {
        error_ = "line " + std::to_string(line) + ": " + what;
        return false;
    }

    bool append(std::string& field, std::string_view part, std::size_t field_line) {
        if (field.size() + part.size() > limits_.max_field_bytes)
            return fail(field_line, "a field is longer than the limit of " +
                                        std::to_string(limits_.max_field_bytes) + " bytes");
        field.append(part);
        return true;
    }

    void end_line() {  // CRLF, LF, or a lone CR
        if (text_[pos_] == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n') ++pos_;
        ++pos_;
        ++line_;
    }

    bool unquoted(std::string& field) {
        const char stops[] = {delimiter_, '\r', '\n', '\0'};
        std::size_t end = std::min(text_.find_first_of(stops, pos_), text_.size());
        if (!append(field, text_.substr(pos_, end - pos_), line_)) return false;
        pos_ = end;
        return true;
    }

    // A quoted field may hold delimiters, line breaks and "" for one quote.
    bool quoted(std::string& field) {
        std::size_t opened_on = line_;
        ++pos_;
        for (;;) {
            std::size_t quote = text_.find('"', pos_);
            if (quote == std::string_view::npos)
                return fail(opened_on, "a quoted field is never closed");
            std::string_view part = text_.substr(pos_, quote - pos_);
            if (!append(field, part, opened_on)) return false;
            for (char c : part) line_ += c == '\n';
            pos_ = quote + 1;
            if (pos_ < text_.size() && text_[pos_] == '"') {
                if (!append(field, "\"", opened_on)) return false;
                ++pos_;
                continue;
            }
            break;
        }
        if (pos_ < text_.size() && text_[pos_] != delimiter_ && text_[pos_] != '\r' &&
            text_[pos_] != '\n')
            return fail(line_, "text after the closing quote of a field");
        return true;
    }

    std::string_view text_;
    char delimiter_;
    const Limits& limits_;
    std::size_t pos_ = 0;
    std::size_t line_ = 1;
    std::size_t record_line_ = 1;
    std::string error_;
};

std::string check_header(const Record& header) {
    for (std::size_t i = 0; i < header.size(); ++i) {
        if (header[i].empty())
            return "line 1: column " + std::to_string(i + 1) + " of the header has no name";
        for (std::size_t k = 0; k < i; ++k)
            if (header[k] == header[i])
                return "line 1: the header names column \"" + header[i] + "\" twice";
    }
    return "";
}

}  // namespace

Decoded decode_csv(std::string_view bytes, const CsvOptions& options, const Limits& limits) {
    Decoded out;
    if (bytes.size() > limits.max_bytes) {
        out.error = size_limit_error(bytes.size(), limits.max_bytes);
        return out;
    }
    if (options.delimiter == '"' || options.delimiter == '\r' || options.delimiter == '\n' ||
        options.delimiter == '\0') {
        out.error = "a CSV delimiter cannot be a quote, a line break or NUL";
        return out;
    }
    std::string conversion_error;
    std::string text = to_utf8(bytes, options.charset, conversion_error);  // strips a BOM
    if (!conversion_error.empty()) {
        out.error = "cannot read the CSV as " + options.charset + ": " + conversion_error;
        return out;
    }

    CsvReader reader(text, options.delimiter, limits);
    Record header;
    if (!reader.next(header)) {
        out.error = reader.error().empty() ? "the CSV is empty: no header row" : reader.error();
        return out;
    }
    if (out.error = check_header(header); !out.error.empty()) return out;

    boost::json::array rows;
    Record fields;
    while (reader.next(fields)) {
        if (fields.size() != header.size()) {
            out.error = "line " + std::to_string(reader.record_line()) + ": " +
                        std::to_string(fields.size()) + " fields, but the header has " +
                        std::to_string(header.size()) + " columns";
            return out;
        }
        boost::json::object row;
        row.reserve(header.size());
        for (std::size_t i = 0; i < header.size(); ++i)
            row.emplace(header[i], boost::json::string_view(fields[i]));
        rows.push_back(std::move(row));
    }
    if (!reader.error().empty()) {
        out.error = reader.error();
        return out;
    }
    out.value = std::move(rows);
    return out;
}

}  // namespace fb::decode
