#include "server/http_server.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
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
      : options_(std::move(options)), handler_(handler), ioc_(options_.threads), acceptor_(ioc_) {}

  absl::Status Start();
  void Shutdown(absl::Duration grace);
  std::string bound_address() const { return bound_; }

  const HttpServerOptions options_;
  HttpHandler& handler_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::vector<std::thread> threads_;
  std::string bound_;
  std::atomic<int> in_flight_{0};
  std::atomic<bool> stopped_{false};

 private:
  void Accept();
};

namespace {

constexpr std::chrono::seconds kHandshakeTime{10};

// One connection over `Stream`: beast::tcp_stream (plaintext) or TlsStream. Owns itself
// through shared_ptr copies held by pending operations.
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  Session(tcp::socket socket, HttpServer::Impl& server) requires(!kTls)
      : stream_(std::move(socket)), server_(server) {}
  Session(tcp::socket socket, std::shared_ptr<ssl::context> context,
          HttpServer::Impl& server) requires(kTls)
      : context_(std::move(context)), stream_(std::move(socket), *context_), server_(server) {}

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

  // A failed handshake (a plaintext client, no or a bad client certificate) just closes: there
  // is no channel to answer on.
  void Handshake() {
    Tcp().expires_after(kHandshakeTime);
    stream_.async_handshake(ssl::stream_base::server,
                            [self = this->shared_from_this()](beast::error_code ec) {
                              if (ec) return self->Tcp().close();
                              self->peer_names_ = VerifiedPeerNames(self->stream_.native_handle());
                              self->ReadHeader();
                            });
  }

  void ReadHeader() {
    parser_.emplace();
    parser_->body_limit(server_.options_.max_body_bytes);
    Tcp().expires_after(
        std::chrono::microseconds(absl::ToInt64Microseconds(server_.options_.idle_timeout)));
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
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
        ec == asio::error::eof) {
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
    request.method = std::string(req.method_string());
    std::string_view target(req.target().data(), req.target().size());
    size_t q = target.find('?');
    request.path = std::string(target.substr(0, q));
    if (q != std::string_view::npos) request.query = std::string(target.substr(q + 1));
    for (const auto& field : req) {
      request.headers.emplace_back(absl::AsciiStrToLower(std::string(field.name_string())),
                                   std::string(field.value()));
    }
    request.body = std::move(req.body());
    beast::error_code ignored;
    auto remote = Tcp().socket().remote_endpoint(ignored);
    if (!ignored) request.remote_address = remote.address().to_string();
    request.tls_peer_names = peer_names_;
    Tcp().expires_never();
    server_.in_flight_.fetch_add(1);
    server_.handler_.Handle(std::move(request), [self = this->shared_from_this()](HttpResponse r) {
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

  void Send(HttpResponse r, bool close) {
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(r.status), 11);
    res->set(http::field::server, "spanvault");
    for (const auto& [name, value] : server_.options_.response_headers) res->set(name, value);
    for (auto& [name, value] : r.headers) res->set(name, value);
    res->body() = std::move(r.body);
    res->keep_alive(!close);
    res->prepare_payload();
    Tcp().expires_after(std::chrono::seconds(30));
    http::async_write(stream_, *res,
                      [self = this->shared_from_this(), res, close](beast::error_code ec, size_t) {
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

  static constexpr size_t kDrainChunk = 64 << 10;
  static constexpr size_t kMaxDrain = 64 << 20;
  static constexpr std::chrono::seconds kDrainTime{5};

  void Close() {
    if constexpr (kTls) {
      Tcp().expires_after(kHandshakeTime);
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
  Accept();
  for (int i = 0; i < std::max(1, options_.threads); ++i) {
    threads_.emplace_back([this] { ioc_.run(); });
  }
  return absl::OkStatus();
}

namespace {

// Answers 403 on a connection from outside the allowed networks, without reading from it.
void Refuse(tcp::socket socket, bool tls) {
  auto owned = std::make_shared<tcp::socket>(std::move(socket));
  if (tls) {
    beast::error_code ignored;
    owned->close(ignored);
    return;
  }
  static const std::string kForbidden = [] {
    std::string body = "forbidden: your address is not in this listener's allowed_cidrs\n";
    return absl::StrCat(
        "HTTP/1.1 403 Forbidden\r\nServer: spanvault\r\nContent-Type: text/plain\r\n"
        "Connection: close\r\nContent-Length: ",
        body.size(), "\r\n\r\n", body);
  }();
  asio::async_write(*owned, asio::buffer(kForbidden), [owned](beast::error_code, size_t) {
    beast::error_code ignored;
    owned->shutdown(tcp::socket::shutdown_both, ignored);
    owned->close(ignored);
  });
}

}  // namespace

void HttpServer::Impl::Accept() {
  acceptor_.async_accept(asio::make_strand(ioc_), [this](beast::error_code ec, tcp::socket socket) {
    if (stopped_.load()) return;
    if (!ec && options_.admit) {
      beast::error_code remote_ec;
      auto remote = socket.remote_endpoint(remote_ec);
      if (remote_ec || !options_.admit(remote.address().to_string())) {
        Refuse(std::move(socket), options_.tls != nullptr);
        return Accept();
      }
    }
    if (!ec) {
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      if (options_.tls) {
        auto context = options_.tls->ForNewConnection();
        std::make_shared<Session<TlsStream>>(std::move(socket), std::move(context), *this)->Run();
      } else {
        std::make_shared<Session<beast::tcp_stream>>(std::move(socket), *this)->Run();
      }
    }
    Accept();
  });
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
}

HttpServer::HttpServer(HttpServerOptions options, HttpHandler& handler)
    : impl_(std::make_unique<Impl>(std::move(options), handler)) {}

HttpServer::~HttpServer() { Shutdown(absl::ZeroDuration()); }

absl::Status HttpServer::Start() { return impl_->Start(); }
std::string HttpServer::bound_address() const { return impl_->bound_address(); }
void HttpServer::Shutdown(absl::Duration grace) { impl_->Shutdown(grace); }

}  // namespace spanvault
