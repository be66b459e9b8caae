package io.asterline.app;

import static io.asterline.db.generated.Tables.TENANT;
import static org.assertj.core.api.Assertions.assertThat;

import io.asterline.config.Settings;
import io.asterline.db.Database;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The service as an operator runs it: real embedded PostgreSQL, real HTTP. */
class ServiceTest {

  @TempDir
  Path dir;

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private HttpResponse<String> get(int port, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static AsterlineConfig config(Map<String, String> env) {
    Map<String, String> options = new HashMap<>();
    // every listener on an ephemeral port: other tests (and other checkouts) may run at the same time
    options.put("http.port", "0");
    options.put("agi.port", "0");
    options.put("audiosocket.port", "0");
    options.put("mediaws.port", "0");
    return AsterlineConfig.from(Settings.of(Map.of(), env, options));
  }

  @Test
  void embeddedDefaultAnswersHealthAndKeepsDataAcrossRestarts() throws Exception {
    Map<String, String> env = Map.of("ASTERLINE_DATA_DIR", dir.toString());
    try (Asterline app = Asterline.start(config(env))) {
      assertThat(app.database().isEmbedded()).isTrue();
      HttpResponse<String> health = get(app.httpPort(), "/health");
      assertThat(health.statusCode()).isEqualTo(200);
      assertThat(health.body()).contains("\"status\":\"UP\"").contains("\"database\":{\"state\":\"UP\"");
      // single-tenant default, as the old deployment had
      assertThat(app.database().dsl().fetchCount(TENANT)).isEqualTo(1);
      app.database().dsl().insertInto(TENANT).set(TENANT.NAME, "kept across restarts").execute();
    }
    try (Asterline app = Asterline.start(config(env))) {
      assertThat(app.database().dsl().fetchExists(TENANT, TENANT.NAME.eq("kept across restarts"))).isTrue();
      assertThat(app.database().dsl().fetchCount(TENANT)).as("no second default tenant").isEqualTo(2);
      assertThat(get(app.httpPort(), "/health").statusCode()).isEqualTo(200);
    }
  }

  @Test
  void healthTurns503WhenTheDatabaseStopsAnd200WhenItIsBack() throws Exception {
    Path pgDir = dir.resolve("external-pg");
    EmbeddedPostgres pg = Database.startEmbedded(pgDir, 0);
    int pgPort = pg.getPort();
    String password = Database.embeddedPassword(pgDir);
    Map<String, String> env = Map.of(
        "DATABASE_URL", "postgresql://postgres:" + password + "@127.0.0.1:" + pgPort + "/postgres",
        "DEFAULT_TENANT_ID", "7",
        "DATABASE_CONNECTION_TIMEOUT", "500ms",
        // the node's own data directory (its journal), not ./var of whoever runs the tests
        "ASTERLINE_DATA_DIR", dir.resolve("node").toString());
    try (Asterline app = Asterline.start(config(env))) {
      assertThat(app.database().isEmbedded()).isFalse();
      assertThat(app.database().dsl().fetchOne(TENANT).getId()).isEqualTo(7L);
      assertThat(get(app.httpPort(), "/health").statusCode()).isEqualTo(200);

      pg.close();
      HttpResponse<String> down = get(app.httpPort(), "/health");
      assertThat(down.statusCode()).isEqualTo(503);
      assertThat(down.body()).contains("\"status\":\"DOWN\"").contains("\"database\":{\"state\":\"DOWN\"")
          .doesNotContain(password);

      pg = Database.startEmbedded(pgDir, pgPort);
      // the pool replaces its dead connections on the next requests
      int status = 0;
      long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
      while (status != 200 && System.nanoTime() < deadline) {
        status = get(app.httpPort(), "/health").statusCode();
      }
      assertThat(status).isEqualTo(200);
    } finally {
      pg.close();
    }
  }

  @Test
  void unknownPathsAnswerJson() throws Exception {
    try (Asterline app = Asterline.start(config(Map.of("ASTERLINE_DATA_DIR", dir.toString())))) {
      HttpResponse<String> r = get(app.httpPort(), "/nope");
      assertThat(r.statusCode()).isEqualTo(404);
      assertThat(r.body()).contains("\"error\"");
      HttpResponse<String> api = get(app.httpPort(), "/api/anything");
      assertThat(api.statusCode()).isEqualTo(401);
      assertThat(api.body()).contains("bearer token");
    }
  }
}
