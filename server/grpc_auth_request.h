#pragma once

// What a gRPC call presents for authentication, read from its context.

#include "auth/authenticator.h"
#include "grpcpp/server_context.h"

namespace spanvault {

// The "authorization" metadata, the peer address and, when the call came over mutual TLS, the
// verified client certificate's names: its subject DN in RFC 2253 form ("CN=alice,O=Example"),
// "CN=<common name>", and each subject alternative name (DNS name, e-mail, URI, IP address).
// With `proxy`, also the identity headers it names (the Authenticator decides whether to
// believe them).
AuthRequest GrpcAuthRequest(const grpc::ServerContext& context,
                            const ProxyAuthOptions* proxy = nullptr);

}  // namespace spanvault
