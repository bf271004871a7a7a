#include "server/http_server.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "spdlog/spdlog.h"

namespace spanvault {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

absl::Status SplitHostPort(const std::string& address, std::string* host, uint16_t* port) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("address \"", address, "\" has no :port"));
  }
  *host = address.substr(0, colon);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  if (host->empty()) *host = "0.0.0.0";
  if (*host == "localhost") *host = "127.0.0.1";
  uint32_t p = 0;
  if (!absl::SimpleAtoi(address.substr(colon + 1), &p) || p > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("address \"", address, "\" has a bad port"));
  }
  *port = static_cast<uint16_t>(p);
  return absl::OkStatus();
}

class HttpServer::Impl {
 public:
  Impl(HttpServerOptions options, HttpHandler& handler)
      : options_(std::move(options)),
        handler_(handler),
        ioc_(options_.threads),
        acceptor_(ioc_),
        accept_backoff_(ioc_) {}

  absl::Status Start();
  void Shutdown(absl::Duration grace);
  std::string bound_address() const { return bound_; }
  // Hands `request` to the handler: on a handler thread when there are some, else here.
  void Dispatch(HttpRequest request, HttpRespond respond);

  // Takes a connection slot for `client`, or returns the name of the cap that refuses it.
  const char* TakeSlot(const std::string& client) ABSL_LOCKS_EXCLUDED(slots_mu_);
  void ReleaseSlot(const std::string& client) ABSL_LOCKS_EXCLUDED(slots_mu_);
  void CountDrop(const char* reason) {
    if (options_.metrics != nullptr) options_.metrics->Dropped(options_.name, reason);
  }

  const HttpServerOptions options_;
  HttpHandler& handler_;
  // Before ioc_: sessions destroyed with the io_context give their slots back.
  absl::Mutex slots_mu_;
  uint32_t open_ ABSL_GUARDED_BY(slots_mu_) = 0;
  std::unordered_map<std::string, uint32_t> per_client_ ABSL_GUARDED_BY(slots_mu_);
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  asio::steady_timer accept_backoff_;
  // Only OnAccept touches these: one accept is outstanding at a time.
  absl::Time last_accept_warning_ = absl::InfinitePast();
  uint64_t accept_errors_unlogged_ = 0;
  std::vector<std::thread> threads_;
  std::optional<asio::thread_pool> handler_pool_;  // with options_.handler_threads > 0
  std::string bound_;
  std::atomic<int> in_flight_{0};
  std::atomic<bool> stopped_{false};

 private:
  void Accept();
  void OnAccept(beast::error_code ec, tcp::socket socket);
  void WarnAcceptError(const beast::error_code& ec);
  void Serve(tcp::socket socket, const std::string& client);
};

namespace {

std::chrono::microseconds Chrono(absl::Duration d) {
  return std::chrono::microseconds(absl::ToInt64Microseconds(d));
}

// One connection over `Stream`: beast::tcp_stream (plaintext) or TlsStream. Owns itself
// through shared_ptr copies held by pending operations.
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  // `client` holds a connection slot (Impl::TakeSlot), given back when the session ends.
  Session(tcp::socket socket, std::string client, HttpServer::Impl& server) requires(!kTls)
      : stream_(std::move(socket)), server_(server), client_(std::move(client)) {}
  Session(tcp::socket socket, std::string client, std::shared_ptr<ssl::context> context,
          HttpServer::Impl& server) requires(kTls)
      : context_(std::move(context)),
        stream_(std::move(socket), *context_),
        server_(server),
        client_(std::move(client)) {}
  ~Session() { server_.ReleaseSlot(client_); }

  void Run() {
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if constexpr (kTls) {
        self->Handshake();
      } else {
        self->ReadHeader();
      }
    });
  }

 private:
  beast::tcp_stream& Tcp() { return beast::get_lowest_layer(stream_); }
  const HttpConnectionLimits& Limits() const { return server_.options_.limits; }

  // What the connection waits for; a timeout in kHeader, kBody or kWrite is counted.
  enum class Phase { kIdle, kHeader, kBody, kHandling, kWrite };

  // A failed handshake (a plaintext client, no or a bad client certificate) just closes: there
  // is no channel to answer on.
  void Handshake() {
    Tcp().expires_after(Chrono(Limits().header_timeout));
    stream_.async_handshake(ssl::stream_base::server,
                            [self = this->shared_from_this()](beast::error_code ec) {
                              if (ec) return self->Tcp().close();
                              self->peer_names_ = VerifiedPeerNames(self->stream_.native_handle());
                              self->ReadHeader();
                            });
  }

  // Waits up to the idle timeout for a request's first byte, then gives its header the header
  // timeout: an idle keep-alive connection may wait long, a trickling header may not.
  void ReadHeader() {
    parser_.emplace();
    parser_->body_limit(server_.options_.max_body_bytes);
    if (buffer_.size() > 0) return ReadHeaderBytes();  // a pipelined request is here already
    phase_ = Phase::kIdle;
    Tcp().expires_after(Chrono(Limits().idle_timeout));
    stream_.async_read_some(buffer_.prepare(kFirstRead),
                            [self = this->shared_from_this()](beast::error_code ec, size_t n) {
                              if (ec) return self->FailRead(ec);
                              self->buffer_.commit(n);
                              self->ReadHeaderBytes();
                            });
  }

  void ReadHeaderBytes() {
    phase_ = Phase::kHeader;
    Tcp().expires_after(Chrono(Limits().header_timeout));
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    if (ec) return FailRead(ec);
    const auto& req = parser_->get();
    if (absl::EqualsIgnoreCase(std::string(req[http::field::expect]), "100-continue")) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
      http::async_write(stream_, *cont,
                        [self = this->shared_from_this(), cont](beast::error_code ec, size_t) {
                          if (ec) return self->Close();
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    phase_ = Phase::kBody;
    Tcp().expires_after(Chrono(Limits().body_timeout));
    http::async_read(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void FailRead(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      return SendAndClose(
          HttpResponse::Text(413, absl::StrCat("request body exceeds the limit of ",
                                               server_.options_.max_body_bytes, " bytes\n")));
    }
    if (ec == http::error::header_limit) {
      return SendAndClose(HttpResponse::Text(431, "request header fields too large\n"));
    }
    if (ec == beast::error::timeout) {
      if (phase_ == Phase::kHeader) server_.CountDrop("header_timeout");
      if (phase_ == Phase::kBody) server_.CountDrop("body_timeout");
      return Close();
    }
    if (ec == http::error::end_of_stream || ec == asio::error::connection_reset ||
        ec == asio::error::operation_aborted || ec == asio::error::eof) {
      return Close();
    }
    SendAndClose(
        HttpResponse::Text(400, absl::StrCat("malformed HTTP request: ", ec.message(), "\n")));
  }

  void OnRead(beast::error_code ec) {
    if (ec) return FailRead(ec);
    auto& req = parser_->get();
    keep_alive_ = req.keep_alive();
    HttpRequest request;
    // HEAD is GET without the body (RFC 9110, 9.3.2): handlers answer GET, Send drops the body.
    request.method = req.method() == http::verb::head ? "GET" : std::string(req.method_string());
    std::string_view target(req.target().data(), req.target().size());
    size_t q = target.find('?');
    request.path = std::string(target.substr(0, q));
    if (q != std::string_view::npos) request.query = std::string(target.substr(q + 1));
    for (const auto& field : req) {
      request.headers.emplace_back(absl::AsciiStrToLower(std::string(field.name_string())),
                                   std::string(field.value()));
    }
    request.body = std::move(req.body());
    request.remote_address = client_;
    request.tls_peer_names = peer_names_;
    phase_ = Phase::kHandling;
    Tcp().expires_never();
    server_.in_flight_.fetch_add(1);
    server_.Dispatch(std::move(request), [self = this->shared_from_this()](HttpResponse r) {
      asio::post(self->stream_.get_executor(), [self, r = std::move(r)]() mutable {
        self->server_.in_flight_.fetch_sub(1);
        self->Send(std::move(r), !self->keep_alive_);
      });
    });
  }

  // Answers a request whose body was not read, then closes without resetting the connection:
  // a client still uploading must get to read the answer, not an ECONNRESET.
  void SendAndClose(HttpResponse r) {
    linger_ = true;
    Send(std::move(r), true);
  }

  // Whether the request being answered is a HEAD (parsed as far as its method).
  bool AnswersHead() const {
    return parser_ && parser_->is_header_done() && parser_->get().method() == http::verb::head;
  }

  void Send(HttpResponse r, bool close) {
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(r.status), 11);
    res->set(http::field::server, "spanvault");
    for (const auto& [name, value] : server_.options_.response_headers) res->set(name, value);
    for (auto& [name, value] : r.headers) res->set(name, value);
    res->body() = std::move(r.body);
    res->keep_alive(!close);
    res->prepare_payload();
    if (AnswersHead()) res->body().clear();  // Content-Length stays the GET answer's
    phase_ = Phase::kWrite;
    Tcp().expires_after(Chrono(Limits().write_timeout));
    http::async_write(stream_, *res,
                      [self = this->shared_from_this(), res, close](beast::error_code ec, size_t) {
                        if (ec == beast::error::timeout) self->server_.CountDrop("write_timeout");
                        if (!ec && close && self->linger_) return self->LingerAndClose();
                        if (ec || close) return self->Close();
                        self->ReadHeader();
                      });
  }

  // Stops sending, then reads and discards what the client still sends (at most kMaxDrain
  // bytes, for at most kDrainTime) before closing.
  void LingerAndClose() {
    beast::error_code ignored;
    // Over TLS the response's length tells the client it is complete.
    if constexpr (!kTls) Tcp().socket().shutdown(tcp::socket::shutdown_send, ignored);
    Tcp().expires_after(kDrainTime);
    drain_buffer_ = std::make_unique<char[]>(kDrainChunk);
    Drain();
  }

  void Drain() {
    stream_.async_read_some(asio::buffer(drain_buffer_.get(), kDrainChunk),
                            [self = this->shared_from_this()](beast::error_code ec, size_t n) {
                              self->drained_ += n;
                              if (ec || self->drained_ > kMaxDrain) return self->Tcp().close();
                              self->Drain();
                            });
  }

  static constexpr size_t kFirstRead = 4096;
  static constexpr size_t kDrainChunk = 64 << 10;
  static constexpr size_t kMaxDrain = 64 << 20;
  static constexpr std::chrono::seconds kDrainTime{5};

  void Close() {
    if constexpr (kTls) {
      Tcp().expires_after(kDrainTime);
      stream_.async_shutdown(
          [self = this->shared_from_this()](beast::error_code) { self->Tcp().close(); });
    } else {
      beast::error_code ignored;
      Tcp().socket().shutdown(tcp::socket::shutdown_send, ignored);
      Tcp().close();
    }
  }

  std::shared_ptr<ssl::context> context_;  // TLS only; outlives stream_
  Stream stream_;
  HttpServer::Impl& server_;
  const std::string client_;  // the remote address
  Phase phase_ = Phase::kIdle;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool keep_alive_ = true;
  bool linger_ = false;
  std::vector<std::string> peer_names_;  // the verified client certificate (mutual TLS)
  std::unique_ptr<char[]> drain_buffer_;
  size_t drained_ = 0;
};

}  // namespace

absl::Status HttpServer::Impl::Start() {
  std::string host;
  uint16_t port = 0;
  absl::Status split = SplitHostPort(options_.address, &host, &port);
  if (!split.ok()) return split;
  beast::error_code ec;
  auto ip = asio::ip::make_address(host, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("bad host in \"", options_.address, "\""));
  tcp::endpoint endpoint(ip, port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options_.address, ": ", ec.message()));
  }
  auto local = acceptor_.local_endpoint();
  std::string shown = local.address().is_v6() ? absl::StrCat("[", local.address().to_string(), "]")
                                              : local.address().to_string();
  bound_ = absl::StrCat(shown, ":", local.port());
  if (options_.handler_threads > 0) handler_pool_.emplace(options_.handler_threads);
  Accept();
  for (int i = 0; i < std::max(1, options_.threads); ++i) {
    threads_.emplace_back([this] { ioc_.run(); });
  }
  return absl::OkStatus();
}

void HttpServer::Impl::Dispatch(HttpRequest request, HttpRespond respond) {
  if (!handler_pool_) return handler_.Handle(std::move(request), std::move(respond));
  asio::post(*handler_pool_,
             [this, request = std::move(request), respond = std::move(respond)]() mutable {
               handler_.Handle(std::move(request), std::move(respond));
             });
}

namespace {

// A whole HTTP/1.1 response that closes the connection.
std::string ClosingResponse(absl::string_view status_line, absl::string_view extra_headers,
                            absl::string_view body) {
  return absl::StrCat("HTTP/1.1 ", status_line,
                      "\r\nServer: spanvault\r\nContent-Type: text/plain\r\n", extra_headers,
                      "Connection: close\r\nContent-Length: ", body.size(), "\r\n\r\n", body);
}

// Sends `response` on a connection without reading from it, then closes it. Over TLS it just
// closes: there is no channel yet to answer on.
void Refuse(tcp::socket socket, bool tls, std::string response) {
  auto owned = std::make_shared<tcp::socket>(std::move(socket));
  if (tls) {
    beast::error_code ignored;
    owned->close(ignored);
    return;
  }
  auto text = std::make_shared<std::string>(std::move(response));
  asio::async_write(*owned, asio::buffer(*text), [owned, text](beast::error_code, size_t) {
    beast::error_code ignored;
    owned->shutdown(tcp::socket::shutdown_both, ignored);
    owned->close(ignored);
  });
}

std::string TooManyConnections(const char* cap, uint32_t limit) {
  bool per_client = std::string_view(cap) == "max_connections_per_client";
  return ClosingResponse(
      "503 Service Unavailable", "Retry-After: 1\r\n",
      absl::StrCat("too many connections", per_client ? " from your address" : "",
                   " (this listener's limit is ", limit, "); retry later\n"));
}

}  // namespace

void HttpServer::Impl::Accept() {
  acceptor_.async_accept(asio::make_strand(ioc_), [this](beast::error_code ec, tcp::socket socket) {
    OnAccept(ec, std::move(socket));
  });
}

void HttpServer::Impl::WarnAcceptError(const beast::error_code& ec) {
  // Once, then at most every ten seconds while it lasts: a failing accept retries every 100 ms.
  ++accept_errors_unlogged_;
  absl::Time now = absl::Now();
  if (now - last_accept_warning_ < absl::Seconds(10)) return;
  spdlog::warn("{}: cannot accept connections: {} ({} failed accepts since the last warning)",
               options_.name, ec.message(), accept_errors_unlogged_);
  last_accept_warning_ = now;
  accept_errors_unlogged_ = 0;
}

void HttpServer::Impl::OnAccept(beast::error_code ec, tcp::socket socket) {
  if (stopped_.load()) return;
  if (ec) {
    // Out of file descriptors, say: accepting again at once would spin; a pause lets
    // connections close. The pending connections wait in the backlog meanwhile.
    if (ec == asio::error::operation_aborted) return;
    CountDrop("accept_error");
    WarnAcceptError(ec);
    accept_backoff_.expires_after(std::chrono::milliseconds(100));
    accept_backoff_.async_wait([this](beast::error_code) {
      if (!stopped_.load()) Accept();
    });
    return;
  }
  beast::error_code remote_ec;
  auto remote = socket.remote_endpoint(remote_ec);
  if (remote_ec) return Accept();  // gone already
  std::string client = remote.address().to_string();
  if (options_.admit && !options_.admit(client)) {
    Refuse(std::move(socket), options_.tls != nullptr,
           ClosingResponse("403 Forbidden", "",
                           "forbidden: your address is not in this listener's allowed_cidrs\n"));
  } else if (const char* cap = TakeSlot(client); cap != nullptr) {
    CountDrop(cap);
    uint32_t limit = std::string_view(cap) == "max_connections"
                         ? options_.limits.max_connections
                         : options_.limits.max_connections_per_client;
    Refuse(std::move(socket), options_.tls != nullptr, TooManyConnections(cap, limit));
  } else {
    Serve(std::move(socket), client);
  }
  Accept();
}

void HttpServer::Impl::Serve(tcp::socket socket, const std::string& client) {
  beast::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  if (options_.tls) {
    auto context = options_.tls->ForNewConnection();
    std::make_shared<Session<TlsStream>>(std::move(socket), client, std::move(context), *this)
        ->Run();
  } else {
    std::make_shared<Session<beast::tcp_stream>>(std::move(socket), client, *this)->Run();
  }
}

const char* HttpServer::Impl::TakeSlot(const std::string& client) {
  absl::MutexLock lock(&slots_mu_);
  if (open_ >= options_.limits.max_connections) return "max_connections";
  uint32_t& mine = per_client_[client];
  if (mine >= options_.limits.max_connections_per_client) return "max_connections_per_client";
  ++mine;
  ++open_;
  if (options_.metrics != nullptr) options_.metrics->Opened(options_.name);
  return nullptr;
}

void HttpServer::Impl::ReleaseSlot(const std::string& client) {
  absl::MutexLock lock(&slots_mu_);
  auto it = per_client_.find(client);
  if (it == per_client_.end()) return;
  if (--it->second == 0) per_client_.erase(it);
  --open_;
  if (options_.metrics != nullptr) options_.metrics->Closed(options_.name);
}

HttpConnectionMetrics::HttpConnectionMetrics(MetricsRegistry& registry)
    : dropped_(registry.AddCounter(
          "spanvault_http_connections_dropped_total",
          "HTTP connections refused over a connection cap, cut off by a timeout, or not "
          "accepted (reason accept_error).",
          {"listener", "reason"})) {
  registry.AddGaugeFamily("spanvault_http_connections", "Open HTTP connections.", {"listener"},
                          [this] {
                            absl::MutexLock lock(&mu_);
                            GaugeSamples samples;
                            for (const auto& [listener, n] : open_) {
                              samples.push_back({{listener}, static_cast<double>(n)});
                            }
                            return samples;
                          });
}

void HttpConnectionMetrics::Opened(const std::string& listener) {
  absl::MutexLock lock(&mu_);
  ++open_[listener];
}

void HttpConnectionMetrics::Closed(const std::string& listener) {
  absl::MutexLock lock(&mu_);
  --open_[listener];
}

void HttpConnectionMetrics::Dropped(const std::string& listener, const char* reason) {
  dropped_.With({listener, reason}).Increment();
}

void HttpServer::Impl::Shutdown(absl::Duration grace) {
  if (stopped_.exchange(true)) return;
  asio::post(ioc_, [this] {
    beast::error_code ignored;
    acceptor_.close(ignored);
  });
  absl::Time deadline = absl::Now() + grace;
  while (in_flight_.load() > 0 && absl::Now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ioc_.stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
  if (handler_pool_) {
    // Requests not started are dropped with their connections; running ones finish (their
    // answers go nowhere: the event loop has stopped).
    handler_pool_->stop();
    handler_pool_->join();
  }
}

HttpServer::HttpServer(HttpServerOptions options, HttpHandler& handler)
    : impl_(std::make_unique<Impl>(std::move(options), handler)) {}

HttpServer::~HttpServer() { Shutdown(absl::ZeroDuration()); }

absl::Status HttpServer::Start() { return impl_->Start(); }
std::string HttpServer::bound_address() const { return impl_->bound_address(); }
void HttpServer::Shutdown(absl::Duration grace) { impl_->Shutdown(grace); }

}  // namespace spanvault
