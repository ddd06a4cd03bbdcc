"""One package per channel: inbound parse, outbound render, one small client of the platform."""
