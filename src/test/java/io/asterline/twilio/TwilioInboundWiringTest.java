package io.asterline.twilio;

import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.DID;
import static io.asterline.db.generated.Tables.TENANT;
import static org.assertj.core.api.Assertions.assertThat;

import io.asterline.app.Asterline;
import io.asterline.app.AsterlineConfig;
import io.asterline.config.Settings;
import io.asterline.db.TestDatabase;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The service as started: with Twilio configured, a Twilio number's voice webhook reaches the same tenants. */
class TwilioInboundWiringTest {

  @TempDir
  Path dir;

  @Test
  void aConfiguredServiceTakesATwilioCallAndRefusesAnUnsignedOne() throws Exception {
    try (TestDatabase.Db db = TestDatabase.fresh(4); TwilioStandIn twilio = new TwilioStandIn()) {
      long tenant = db.dsl().insertInto(TENANT).set(TENANT.NAME, "acme").returning(TENANT.ID).fetchOne(TENANT.ID);
      db.dsl().insertInto(DID).set(DID.TENANT_ID, tenant).set(DID.NUMBER, "+15551230000").set(DID.TRUNK, "TWILIO")
          .execute();
      int port;
      try (ServerSocket s = new ServerSocket(0)) {
        port = s.getLocalPort();
      }
      URI base = URI.create("http://127.0.0.1:" + port);
      Map<String, String> o = new HashMap<>(twilio.settings(base));
      o.put("database.url", db.jdbcUrl());
      o.put("database.user", "postgres");
      o.put("data.dir", dir.resolve("data").toString());
      o.put("http.port", Integer.toString(port));
      o.put("agi.port", "0");
      o.put("audiosocket.port", "0");
      o.put("mediaws.port", "0");
      o.put("twilio.media.port", "0");
      o.put("recordings.dir", dir.resolve("recordings").toString());
      try (Asterline app = Asterline.start(AsterlineConfig.from(Settings.of(Map.of(), Map.of(), o)))) {
        TwilioStandIn.Call call = twilio.inboundCall("+15557654321", "+15551230000");
        URI voice = URI.create(base + "/twilio/voice");

        assertThat(twilio.post(voice, twilio.callParams(call), null).status()).isEqualTo(403);
        assertThat(db.dsl().fetchCount(CALL)).isZero();

        TwilioStandIn.Answer answer = twilio.voiceWebhook(call, voice);
        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.body()).contains("<Connect action=\"" + base + "/twilio/agent-done?callId=")
            .contains("<Stream url=\"ws://127.0.0.1:" + port + "/twilio/stream\">");
        assertThat(db.dsl().fetchOne(CALL).getProviderCallSid()).isEqualTo(call.sid);
      }
    }
  }
}
