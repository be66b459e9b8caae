package io.asterline.http;

import io.asterline.config.ConfigKey;
import io.asterline.config.Settings;
import java.net.InetAddress;
import java.net.URI;
import java.util.List;
import java.util.Optional;

/** The HTTP API, /health and /metrics. */
public record HttpConfig(InetAddress bind, int port, Optional<URI> publicBaseUrl, Optional<String> adminToken) {

  public static final ConfigKey BIND = ConfigKey.of("http.bind", "127.0.0.1", "address the HTTP server listens on");
  public static final ConfigKey PORT = ConfigKey.of("http.port", "8080", "HTTP port (0 = any free port)");
  public static final ConfigKey PUBLIC_BASE_URL = ConfigKey.of("http.public-base-url", null,
      "URL under which this service is reachable from outside, used in links it hands out").withAliases("PUBLIC_BASE_URL");

  public static final ConfigKey ADMIN_TOKEN = ConfigKey.secret("admin.token",
      "token that manages tenants and sees every tenant's data (Authorization: Bearer ...); unset = no admin API")
      .withAliases("ASTERLINE_ADMIN_TOKEN");

  public static final List<ConfigKey> KEYS = List.of(BIND, PORT, PUBLIC_BASE_URL, ADMIN_TOKEN);

  public static HttpConfig from(Settings settings) {
    Optional<URI> base = settings.value(PUBLIC_BASE_URL).isPresent()
        ? Optional.of(settings.uri(PUBLIC_BASE_URL, "http", "https"))
        : Optional.empty();
    Optional<String> admin = settings.optional(ADMIN_TOKEN);
    if (admin.isPresent() && admin.get().length() < 16) {
      throw settings.invalid(ADMIN_TOKEN, "at least 16 characters");
    }
    return new HttpConfig(settings.address(BIND), settings.port(PORT), base, admin);
  }

  @Override
  public String toString() {
    return "HttpConfig[bind=" + bind.getHostAddress() + ", port=" + port + ", publicBaseUrl=" + publicBaseUrl
        + ", adminToken=" + (adminToken.isPresent() ? "(set)" : "(unset)") + "]";
  }
}
