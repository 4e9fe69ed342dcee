// Base64 (RFC 4648, standard alphabet) for the REST API's {"b64": "..."}
// values, matching what TF Serving accepts and writes.
#pragma once

#include <string>
#include <string_view>

namespace savedmodel {

// Padded with '='.
std::string Base64Encode(std::string_view bytes);

// Accepts input with or without '=' padding (padding, when present, must make
// the length a multiple of 4). Any other character, or a length no encoding
// produces, is false.
bool Base64Decode(std::string_view text, std::string* bytes);

}  // namespace savedmodel
