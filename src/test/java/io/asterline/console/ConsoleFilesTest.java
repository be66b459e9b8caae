package io.asterline.console;

import static org.assertj.core.api.Assertions.assertThat;

import io.asterline.config.Json;
import io.asterline.http.Auth;
import io.asterline.http.HttpConfig;
import io.asterline.http.HttpServer;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The console's files as a browser gets them, and who a token is. */
class ConsoleFilesTest {

  private static final String ADMIN = "admin-token-console-files-test";
  private static final String TENANT = "atl_tenant-console-files-0123456789";

  private final HttpClient client = HttpClient.newHttpClient();
  private HttpServer http;

  @BeforeEach
  void setUp() {
    http = new HttpServer(new HttpConfig(InetAddress.getLoopbackAddress(), 0, Optional.empty(), Optional.of(ADMIN)),
        Json.mapper())
        .auth(new Auth(Optional.of(ADMIN), hash -> hash.equals(Auth.hash(TENANT)) ? OptionalLong.of(7)
            : OptionalLong.empty()))
        .routes(Console.start(id -> id == 7 ? Optional.of("acme") : Optional.empty()).routes())
        .start();
  }

  @AfterEach
  void tearDown() {
    http.close();
  }

  private HttpResponse<String> get(String path, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + path));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void thePagesComeFromTheJarUnderAPolicyThatLoadsNothingFromElsewhere() throws Exception {
    HttpResponse<String> bare = get("/console", null);
    assertThat(bare.statusCode()).isEqualTo(302);
    assertThat(bare.headers().firstValue("Location")).hasValue("/console/");

    HttpResponse<String> index = get("/console/", null);
    assertThat(index.statusCode()).isEqualTo(200);
    assertThat(index.headers().firstValue("Content-Type")).get().asString().startsWith("text/html");
    assertThat(index.body()).contains("<label for=\"token\">API token</label>").contains("<main id=\"main\"");
    String csp = index.headers().firstValue("Content-Security-Policy").orElseThrow();
    assertThat(csp).contains("default-src 'none'").contains("script-src 'self'").contains("connect-src 'self'");
    assertThat(index.headers().firstValue("Referrer-Policy")).hasValue("no-referrer");

    for (String file : Console.FILES) {
      HttpResponse<String> r = get("/console/" + file, null);
      assertThat(r.statusCode()).as(file).isEqualTo(200);
      // everything the pages load is one of these files: no CDN, no other host
      assertThat(r.body()).as(file).doesNotContainPattern("(src|href)=\"(https?:)?//");
      assertThat(r.body()).as(file).doesNotContainPattern("import [^;]*from '(https?:)?//");
    }
    assertThat(get("/console/app.js", null).headers().firstValue("Content-Type")).get().asString()
        .startsWith("text/javascript");
    assertThat(get("/console/../pom.xml", null).statusCode()).isEqualTo(404);
    assertThat(get("/console/secret.txt", null).statusCode()).isEqualTo(404);
  }

  @Test
  void theSignedInTokenIsTheAdminOrOneTenant() throws Exception {
    assertThat(get("/api/console/me", ADMIN).body()).isEqualTo("{\"admin\":true,\"tenantId\":null,\"tenantName\":null}");
    assertThat(get("/api/console/me", TENANT).body()).isEqualTo("{\"admin\":false,\"tenantId\":7,\"tenantName\":\"acme\"}");
    assertThat(get("/api/console/me", "nope").statusCode()).isEqualTo(401);
    assertThat(get("/api/console/me", null).statusCode()).isEqualTo(401);
  }
}
