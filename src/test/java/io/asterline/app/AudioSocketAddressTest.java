package io.asterline.app;

import static io.asterline.db.generated.Tables.DID;
import static io.asterline.db.generated.Tables.TENANT;
import static org.assertj.core.api.Assertions.assertThat;

import io.asterline.agi.FakeAsterisk;
import io.asterline.audiosocket.AudioSocketConfig;
import io.asterline.config.Settings;
import io.asterline.db.TestDatabase;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The address inbound hands Asterisk for the agent's leg (ASTERLINE_AUDIOSOCKET) is where this node's AudioSocket
 * server listens, unless agi.audiosocket-address says otherwise: changing audiosocket.port alone must not leave
 * Asterisk dialling the old port.
 */
class AudioSocketAddressTest {

  @TempDir
  Path dir;

  @Test
  void theDialAddressOfABindAddress() {
    assertThat(config("0.0.0.0", "9092").dialAddress(9092)).isEqualTo("127.0.0.1:9092");
    assertThat(config("::", "9092").dialAddress(9093)).isEqualTo("127.0.0.1:9093");
    assertThat(config("10.0.0.5", "0").dialAddress(40123)).isEqualTo("10.0.0.5:40123");
    assertThat(config("::1", "9092").dialAddress(9092)).isEqualTo("[0:0:0:0:0:0:0:1]:9092");
  }

  @Test
  void followsTheAudioSocketPortItWasGivenOrTheOneItGot() throws Exception {
    int free;
    try (ServerSocket s = new ServerSocket(0)) {
      free = s.getLocalPort();
    }
    assertThat(inboundAudioSocket(Map.of("audiosocket.port", Integer.toString(free)))).isEqualTo("127.0.0.1:" + free);
    // any free port: the one the server really listens on, also when it listens on every address
    String any = inboundAudioSocket(Map.of("audiosocket.port", "0", "audiosocket.bind", "0.0.0.0"));
    assertThat(any).startsWith("127.0.0.1:").isNotEqualTo("127.0.0.1:0").isNotEqualTo("127.0.0.1:9092");
    // set by hand (a NAT, another interface): taken as it is
    assertThat(inboundAudioSocket(Map.of("audiosocket.port", "0", "agi.audiosocket-address", "asterline:9092")))
        .isEqualTo("asterline:9092");
  }

  /** Starts Asterline with these options, sends one inbound call, returns its ASTERLINE_AUDIOSOCKET. */
  private String inboundAudioSocket(Map<String, String> options) throws Exception {
    try (TestDatabase.Db db = TestDatabase.fresh(4)) {
      long tenant = db.dsl().insertInto(TENANT).set(TENANT.NAME, "acme").returning(TENANT.ID).fetchOne(TENANT.ID);
      db.dsl().insertInto(DID).set(DID.TENANT_ID, tenant).set(DID.NUMBER, "+15551230000").set(DID.TRUNK, "TWILIO")
          .execute();
      Map<String, String> o = new HashMap<>();
      o.put("database.url", db.jdbcUrl());
      o.put("data.dir", dir.resolve("data-" + UUID.randomUUID()).toString());
      o.put("database.user", "postgres");
      o.put("http.port", "0");
      o.put("agi.port", "0");
      o.put("audiosocket.io-threads", "1");
      o.put("mediaws.port", "0");
      o.put("recordings.dir", dir.toString());
      o.putAll(options);
      try (Asterline app = Asterline.start(AsterlineConfig.from(Settings.of(Map.of(), Map.of(), o)))) {
        FakeAsterisk.Exchange x = new FakeAsterisk(app.agiPort()).send(FakeAsterisk.request("inbound").args("+15551230000"));
        assertThat(x.status()).isEqualTo("OK");
        String address = x.get("ASTERLINE_AUDIOSOCKET");
        if (!options.containsKey("agi.audiosocket-address")) {
          assertThat(address).endsWith(":" + app.audioSocketPort());
        }
        new FakeAsterisk(app.agiPort()).send(FakeAsterisk.request("call-end").args(x.get("ASTERLINE_CALL_ID"), "ANSWER"));
        return address;
      }
    }
  }

  private static AudioSocketConfig config(String bind, String port) {
    return AudioSocketConfig.from(Settings.of(Map.of(), Map.of(), Map.of("audiosocket.bind", bind, "audiosocket.port", port)));
  }
}
