#pragma once

// ConnectionLimits: what every listener allows one client connection (the `limits` config
// section; docs/RELIABILITY.md). The defaults suit a production edge: a slow or idle client
// cannot hold a connection or a thread for long, and no one client takes every connection.

#include <cstdint>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace spanvault {

struct HttpConnectionLimits {
  // A kept-alive connection with no new request for this long is closed. Default: 60 s.
  absl::Duration idle_timeout = absl::Seconds(60);
  // From a request's first byte (or the TLS handshake's start) to the end of its header; a
  // client that trickles its header (slowloris) is cut off. Default: 10 s.
  absl::Duration header_timeout = absl::Seconds(10);
  // Reading the request body, all of it. Default: 60 s.
  absl::Duration body_timeout = absl::Seconds(60);
  // Sending the response, all of it. Default: 30 s.
  absl::Duration write_timeout = absl::Seconds(30);
  // Open connections per listener; beyond, a new connection gets 503 and is closed.
  // Default: 4096.
  uint32_t max_connections = 4096;
  // Open connections per client address and listener; beyond, 503. Default: 256.
  uint32_t max_connections_per_client = 256;
};

struct GrpcConnectionLimits {
  // Calls in flight on one HTTP/2 connection (advertised in SETTINGS). Default: 100.
  uint32_t max_concurrent_streams = 100;
  // A connection without calls for this long is closed (GOAWAY). Default: 5 min.
  absl::Duration max_connection_idle = absl::Minutes(5);
  // A connection older than this is asked to reconnect (GOAWAY), then given 30 s to finish its
  // calls. 0: never. Default: 30 min.
  absl::Duration max_connection_age = absl::Minutes(30);
  // Keepalive pings closer together than this, without calls, are strikes; the third closes
  // the connection (GOAWAY ENHANCE_YOUR_CALM, "too_many_pings"). Default: 5 min (gRPC's).
  absl::Duration min_ping_interval = absl::Minutes(5);
  // Largest request metadata (headers). Default: 16 KiB.
  uint32_t max_metadata_bytes = 16 << 10;
  // Accept gzip- and deflate-compressed messages. gRPC 1.51 inflates a message before it checks
  // the size limit (a ~0.5 MB gzip bomb costs ~300 MB for a moment); false refuses compressed
  // calls with UNIMPLEMENTED before inflating them: for listeners untrusted clients reach.
  // Default: true (the OpenTelemetry Collector's OTLP exporter sends gzip by default).
  bool accept_compressed = true;
};

struct ConnectionLimits {
  HttpConnectionLimits http;
  GrpcConnectionLimits grpc;

  // Checks every field; the message names the bad one (as `limits.<field>`).
  absl::Status Validate() const;
};

}  // namespace spanvault
