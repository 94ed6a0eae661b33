// Turns C++ failures into the ABI's (code, message) pair. Every entry point runs its body through
// guarded(), so nothing thrown inside a kernel ever reaches the caller as an exception.
#pragma once

#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <exception>
#include <new>
#include <stdexcept>
#include <string>

#include "isc/common.h"

namespace isc {

// A failure with an ABI code; the message names the offending value.
class Error : public std::runtime_error {
 public:
  Error(isc_code code, const std::string& message) : std::runtime_error(message), code_(code) {}
  isc_code code() const noexcept { return code_; }

 private:
  isc_code code_;
};

// Writes "where: message" without allocating, so it is safe even when memory ran out.
inline void fill_status(isc_status* status, isc_code code, const char* where, const char* message) noexcept {
  if (status == nullptr) return;
  status->code = code;
  if (code == ISC_OK) {
    status->message[0] = '\0';
  } else {
    std::snprintf(status->message, sizeof(status->message), "%s: %s", where, message ? message : "");
  }
}

// Throws Error(code, printf-formatted message).
[[noreturn]] inline void fail(isc_code code, const char* format, ...) __attribute__((format(printf, 2, 3)));
[[noreturn]] inline void fail(isc_code code, const char* format, ...) {
  char buffer[ISC_STATUS_MESSAGE_BYTES];
  va_list args;
  va_start(args, format);
  std::vsnprintf(buffer, sizeof(buffer), format, args);
  va_end(args);
  throw Error(code, buffer);
}

// Runs body(); returns ISC_OK, or the failure's code with its message written to status.
template <class Body>
int32_t guarded(isc_status* status, const char* where, Body&& body) noexcept {
  try {
    body();
    fill_status(status, ISC_OK, where, nullptr);
    return ISC_OK;
  } catch (const Error& e) {
    fill_status(status, e.code(), where, e.what());
    return e.code();
  } catch (const std::bad_alloc&) {
    fill_status(status, ISC_OUT_OF_MEMORY, where, "out of memory");
    return ISC_OUT_OF_MEMORY;
  } catch (const std::exception& e) {
    fill_status(status, ISC_INTERNAL, where, e.what());
    return ISC_INTERNAL;
  } catch (...) {
    fill_status(status, ISC_INTERNAL, where, "unknown native error");
    return ISC_INTERNAL;
  }
}

}  // namespace isc
