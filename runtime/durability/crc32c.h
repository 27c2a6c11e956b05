#pragma once

#include <cstdint>
#include <span>

namespace eddy {

// CRC-32C (Castagnoli), the checksum of every log record and checkpoint file. Uses the SSE4.2
// instruction where the CPU has it and a table otherwise; both give the same values.
uint32_t crc32c(std::span<const uint8_t> bytes, uint32_t crc = 0);
// The table version alone, so that tests can hold the two against each other.
uint32_t crc32c_portable(std::span<const uint8_t> bytes, uint32_t crc = 0);

}  // namespace eddy
