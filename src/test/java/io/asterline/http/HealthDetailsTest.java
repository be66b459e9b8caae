package io.asterline.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.asterline.config.Json;
import io.asterline.config.Settings;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** /health answers everyone with the parts' states; what each part says about itself is for the admin. */
class HealthDetailsTest {

  static final String ADMIN = "admin-token-for-health-test";
  static final String TENANT = "tenant-token-for-health-test";
  static final String SECRET_DETAIL = "jdbc:postgresql://db.internal:5432/asterline as asterline_app";
  static final AtomicBoolean databaseUp = new AtomicBoolean(true);
  static HttpServer server;
  static final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() {
    server = new HttpServer(HttpConfig.from(Settings.of(Map.of(), Map.of(), Map.of("http.port", "0"))), Json.mapper())
        .auth(new Auth(Optional.of(ADMIN), hash -> hash.equals(Auth.hash(TENANT)) ? OptionalLong.of(7)
            : OptionalLong.empty()))
        .health(new HealthCheck() {
          @Override
          public String name() {
            return "database";
          }

          @Override
          public boolean critical() {
            return true;
          }

          @Override
          public Status check() {
            return databaseUp.get() ? Status.up(SECRET_DETAIL) : Status.down("cannot reach " + SECRET_DETAIL);
          }
        })
        .start();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static HttpResponse<String> health(String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/health"));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void anyoneSeesTheStatesOnlyTheAdminSeesTheDetails() throws Exception {
    for (String token : new String[] {null, "wrong-token-of-some-length", TENANT}) {
      HttpResponse<String> r = health(token);
      assertThat(r.statusCode()).as("token %s", token).isEqualTo(200);
      assertThat(r.body()).isEqualTo("{\"status\":\"UP\",\"parts\":{\"database\":{\"state\":\"UP\"}}}");
    }
    HttpResponse<String> admin = health(ADMIN);
    assertThat(admin.statusCode()).isEqualTo(200);
    assertThat(admin.body()).contains("\"state\":\"UP\"").contains("\"detail\":\"" + SECRET_DETAIL + "\"");
  }

  @Test
  void aDownPartStillTurnsTheAnswerInto503ForEveryone() throws Exception {
    databaseUp.set(false);
    try {
      HttpResponse<String> r = health(null);
      assertThat(r.statusCode()).isEqualTo(503);
      assertThat(r.body()).contains("\"database\":{\"state\":\"DOWN\"}").doesNotContain("db.internal");
      assertThat(health(ADMIN).body()).contains("cannot reach " + SECRET_DETAIL);
    } finally {
      databaseUp.set(true);
    }
  }
}
