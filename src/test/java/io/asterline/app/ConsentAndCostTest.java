package io.asterline.app;

import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.CALL_COST;
import static io.asterline.db.generated.Tables.DID;
import static io.asterline.db.generated.Tables.TENANT;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.asterline.agi.FakeAsterisk;
import io.asterline.audiosocket.AsteriskAudioSocketClient;
import io.asterline.audiosocket.RecordingListener;
import io.asterline.config.Settings;
import io.asterline.cost.CostConfig;
import io.asterline.cost.CostLedger;
import io.asterline.db.TestDatabase;
import io.asterline.realtime.FakeRealtimeServer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One inbound call through the whole service as Asterisk drives it over FastAGI and AudioSocket, for a tenant with
 * a recording-consent announcement: the inbound answer names the sound, [asterline-consent]'s report stores when it
 * played, and that time precedes the agent's connection and its first frame; the Realtime usage of the call's
 * responses is summed onto the call and priced by the ledger.
 */
class ConsentAndCostTest {

  @TempDir
  Path dir;

  private static final String ADMIN = "admin-token-consent-test";

  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void theConsentTimeIsStoredBeforeTheAgentSpeaksAndTheCallsTokensArePriced() throws Exception {
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("test-asterisk"),
        NioIoHandler.newFactory());
    try (TestDatabase.Db db = TestDatabase.fresh(8); FakeRealtimeServer realtime = new FakeRealtimeServer()) {
      long tenant = db.dsl().insertInto(TENANT).set(TENANT.NAME, "acme").set(TENANT.MAX_CONCURRENT_CALLS, 5)
          .returning(TENANT.ID).fetchOne(TENANT.ID);
      db.dsl().insertInto(DID).set(DID.TENANT_ID, tenant).set(DID.NUMBER, "+15551230000").set(DID.TRUNK, "DIDWW")
          .execute();
      // each response the model streams reports its usage: 4,000 audio in (1,000 of it cached), 150 text in,
      // 2,400 audio out, 60 text out
      ObjectNode usage = realtime.event("x").objectNode();
      usage.putObject("input_token_details").put("text_tokens", 150).put("audio_tokens", 4000)
          .put("cached_tokens", 1000).putObject("cached_tokens_details").put("text_tokens", 0)
          .put("audio_tokens", 1000);
      usage.putObject("output_token_details").put("text_tokens", 60).put("audio_tokens", 2400);
      usage.put("input_tokens", 4150).put("output_tokens", 2460).put("total_tokens", 6610);
      realtime.usage = usage;

      Map<String, String> o = new HashMap<>();
      o.put("database.url", db.jdbcUrl());
      o.put("data.dir", dir.resolve("data-" + UUID.randomUUID()).toString());
      o.put("database.user", "postgres");
      o.put("http.port", "0");
      o.put("agi.port", "0");
      o.put("audiosocket.port", "0");
      o.put("mediaws.port", "0");
      o.put("openai.api-key", "sk-test-consent");
      o.put("realtime.url", realtime.url());
      o.put("recordings.dir", dir.toString());
      o.put("admin.token", ADMIN);
      o.put("costs.interval", "0s");
      Asterline app = Asterline.start(AsterlineConfig.from(Settings.of(Map.of(), Map.of(), o)));
      try {
        FakeAsterisk asterisk = new FakeAsterisk(app.agiPort());
        // without an announcement the answer names none, and the dialplan goes straight on
        FakeAsterisk.Exchange plain = asterisk.send(FakeAsterisk.request("inbound").args("+15551230000"));
        assertThat(plain.status()).isEqualTo("OK");
        assertThat(plain.variables()).doesNotContainKeys("ASTERLINE_CONSENT_SOUND", "ASTERLINE_CONSENT_ORDER");
        asterisk.send(FakeAsterisk.request("call-end").args(plain.get("ASTERLINE_CALL_ID"), "CANCEL", "16"));

        // the admin gives the tenant an announcement; a bad sound or order is refused naming the field
        assertThat(put(app.httpPort(), tenant, "{\"consentSound\": \"../etc/passwd\"}").body())
            .contains("consentSound");
        assertThat(put(app.httpPort(), tenant, "{\"consentOrder\": \"never\"}").statusCode()).isEqualTo(400);
        HttpResponse<String> set = put(app.httpPort(), tenant,
            "{\"consentSound\": \"custom/acme-consent\", \"consentOrder\": \"after_recording\"}");
        assertThat(set.statusCode()).as(set.body()).isEqualTo(200);
        assertThat(set.body()).contains("\"consentSound\":\"custom/acme-consent\"",
            "\"consentOrder\":\"after_recording\"");

        FakeAsterisk.Exchange inbound = asterisk.send(FakeAsterisk.request("inbound").args("+15551230000"));
        assertThat(inbound.status()).isEqualTo("OK");
        assertThat(inbound.get("ASTERLINE_CONSENT_SOUND")).isEqualTo("custom/acme-consent");
        assertThat(inbound.get("ASTERLINE_CONSENT_ORDER")).isEqualTo("after_recording");
        UUID callId = UUID.fromString(inbound.get("ASTERLINE_CALL_ID"));

        // [asterline-consent]: Playback(${ASTERLINE_CONSENT_SOUND}) played, then the report
        FakeAsterisk.Exchange consent = asterisk.send(FakeAsterisk.request("consent-announced")
            .args(callId.toString()));
        assertThat(consent.status()).isEqualTo("OK");
        long reportedNanos = System.nanoTime();
        OffsetDateTime announced = db.dsl().select(CALL.CONSENT_ANNOUNCED_AT).from(CALL).where(CALL.ID.eq(callId))
            .fetchOne(CALL.CONSENT_ANNOUNCED_AT);
        assertThat(announced).isNotNull();
        // a repeat (the hangup handler, a retry) keeps the first time
        assertThat(asterisk.send(FakeAsterisk.request("consent-announced").args(callId.toString())).status())
            .isEqualTo("OK");
        assertThat(db.dsl().select(CALL.CONSENT_ANNOUNCED_AT).from(CALL).where(CALL.ID.eq(callId))
            .fetchOne(CALL.CONSENT_ANNOUNCED_AT)).isEqualTo(announced);

        // then Gosub(asterline-agent-leg): the agent greets the caller
        RecordingListener heard = new RecordingListener();
        AsteriskAudioSocketClient caller = AsteriskAudioSocketClient.connect(group,
            new InetSocketAddress("127.0.0.1", app.audioSocketPort()), callId, AsteriskAudioSocketClient.SILENCE,
            heard);
        await("the greeting", 10_000, () -> heard.agentFrames() >= 10);
        assertThat(heard.firstAgentAudioNanos).as("the agent's first frame came after the announcement's report")
            .isGreaterThan(reportedNanos);
        // a second response in the same call (the model answering the caller) adds its usage
        FakeRealtimeServer.Session session = realtime.awaitSession(0, 5_000);
        session.respond(FakeRealtimeServer.tone(200), "Sure.");
        Thread.sleep(300);
        caller.hangUp();
        await("the agent's outcome", 10_000, () -> db.dsl().select(CALL.AGENT_END_REASON).from(CALL)
            .where(CALL.ID.eq(callId)).fetchOne(CALL.AGENT_END_REASON) != null);
        assertThat(asterisk.send(FakeAsterisk.request("call-end").args(callId.toString(), "ANSWER", "16")).status())
            .isEqualTo("OK");

        var row = db.dsl().selectFrom(CALL).where(CALL.ID.eq(callId)).fetchOne();
        assertThat(row.getConsentAnnouncedAt()).isBefore(row.getAgentConnectedAt());
        assertThat(row.getConsentAnnouncedAt()).isBefore(row.getFirstAudioAt());
        // two responses: the greeting and the answer
        assertThat(List.of(row.getRtAudioInTokens(), row.getRtCachedAudioInTokens(), row.getRtTextInTokens(),
            row.getRtCachedTextInTokens(), row.getRtAudioOutTokens(), row.getRtTextOutTokens()))
            .containsExactly(8000L, 2000L, 300L, 0L, 4800L, 120L);

        // the ledger prices it: realtime (8,000 - 2,000) x $32/M = 0.192; 300 x $4/M = 0.0012;
        // 2,000 cached x $0.40/M = 0.0008; 4,800 x $64/M = 0.3072; 120 x $16/M = 0.00192 -> 0.50312
        CostConfig costs = CostConfig.from(Settings.of(Map.of(), Map.of(), Map.of("costs.settle", "0s")));
        assertThat(new CostLedger(db.dsl(), costs).priceEnded()).isEqualTo(2);
        var cost = db.dsl().selectFrom(CALL_COST).where(CALL_COST.CALL_ID.eq(callId)).fetchOne();
        assertThat(cost.getRealtimeCost()).isEqualByComparingTo("0.50312");
        assertThat(cost.getTrunk()).isEqualTo("DIDWW");
        assertThat(cost.getCarrierPerMinute()).isEqualByComparingTo("0.004");
        assertThat(cost.getBilledSeconds()).isPositive();
      } finally {
        app.close();
      }
    } finally {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
  }

  private HttpResponse<String> put(int port, long tenant, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/tenants/" + tenant
            + "/consent"))
        .header("Authorization", "Bearer " + ADMIN).header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static void await(String what, long millis, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(20);
    }
  }
}
