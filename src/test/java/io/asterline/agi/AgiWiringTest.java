package io.asterline.agi;

import static org.assertj.core.api.Assertions.assertThat;

import io.asterline.app.Asterline;
import io.asterline.app.AsterlineConfig;
import io.asterline.config.Settings;
import io.asterline.db.TestDatabase;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The FastAGI server as the service starts it: wired, reported by /health, stopped with the rest. */
class AgiWiringTest {

  @Test
  void theServiceStartsFastAgiAndReportsItsHealth() throws Exception {
    try (TestDatabase.Db db = TestDatabase.fresh(4)) {
      AsterlineConfig config = AsterlineConfig.from(Settings.of(Map.of(), Map.of(), Map.of(
          "database.url", db.jdbcUrl(), "database.user", "postgres", "http.port", "0", "agi.port", "0", "mediaws.port", "0",
          "data.dir", java.nio.file.Files.createTempDirectory("asterline-data").toString())));
      try (Asterline app = Asterline.start(config)) {
        FakeAsterisk asterisk = new FakeAsterisk(app.agiPort());
        assertThat(asterisk.send(FakeAsterisk.request("inbound").args("+15551234567")).status()).isEqualTo("UNKNOWN_DID");

        HttpResponse<String> health = HttpClient.newHttpClient().send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.httpPort() + "/health")).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).contains("\"agi\":{\"state\":\"UP\"");

        app.agi().admission().drain();
        HttpResponse<String> draining = HttpClient.newHttpClient().send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.httpPort() + "/health")).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(draining.statusCode()).isEqualTo(503);
        assertThat(draining.body()).contains("\"agi\":{\"state\":\"STOPPING\"");
      }
    }
  }
}
