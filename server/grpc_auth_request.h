#pragma once

// What a gRPC call presents for authentication, read from its context.

#include "auth/authenticator.h"
#include "grpcpp/server_context.h"

namespace spanvault {

// The "authorization" metadata, the peer address and, when the call came over mutual TLS, the
// verified client certificate's names: its subject DN in RFC 2253 form ("CN=alice,O=Example"),
// "CN=<common name>", and each subject alternative name (DNS name, e-mail, URI, IP address).
// With `proxy`, also the identity headers it names (the Authenticator decides whether to
// believe them). With `forwarded_bearer_token`, a non-empty "bearer.token" metadata (the end
// user's token that jaeger-query forwards to its remote storage with bearer token propagation
// on) is the authorization, "Bearer <token>", ahead of the "authorization" metadata, which then
// identifies jaeger-query itself only when no user token is forwarded.
AuthRequest GrpcAuthRequest(const grpc::ServerContext& context,
                            const ProxyAuthOptions* proxy = nullptr,
                            bool forwarded_bearer_token = false);

}  // namespace spanvault
